// Subcommand registry and argument parsing. Each subcommand declares its options (name, value
// name, help) and positional arguments; `r1 <cmd> --help` prints exactly that declaration, and
// anything not declared is rejected with a suggestion. Positionals of the form key.path=value are
// config overrides for commands that take a config.
#pragma once
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "parallel/comm.hpp"

namespace r1::cli {

struct OptionSpec {
  std::string name;        // "--out"
  std::string value_name;  // "FILE"; empty for a flag
  std::string help;
  std::string default_value;
};

struct PositionalSpec {
  std::string name;  // "CONFIG"
  std::string help;
  bool required = true;
  bool repeated = false;  // takes the rest
};

class Args {
 public:
  std::vector<std::string> positionals;
  std::vector<std::string> overrides;  // key.path=value
  std::map<std::string, std::string> options;
  bool flag(const std::string& name) const { return options.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const;
  std::optional<std::string> maybe(const std::string& name) const;
  int64_t get_int(const std::string& name, int64_t fallback) const;
  double get_double(const std::string& name, double fallback) const;
};

struct Command {
  std::string name;      // "run", or "data import" for a nested command
  std::string summary;   // one line for `r1 --help`
  std::string description;
  std::vector<PositionalSpec> positionals;
  std::vector<OptionSpec> options;
  bool takes_overrides = false;
  bool needs_mpi = true;
  std::function<int(const Args&, const Comm& world)> run;
};

// Registry (commands register from their own files through a static Registrar).
std::vector<Command>& commands();
struct Registrar {
  explicit Registrar(Command c) { commands().push_back(std::move(c)); }
};

const Command* find_command(const std::vector<std::string>& words, size_t* consumed);
std::string command_help(const Command& c);
std::string global_help();
// Help for a command group ("r1 ckpt"): its subcommands; empty when `group` names none.
std::string group_help(const std::string& group);
// Parses argv after the command words; throws InputError naming the bad argument.
Args parse_args(const Command& c, const std::vector<std::string>& argv);

}  // namespace r1::cli

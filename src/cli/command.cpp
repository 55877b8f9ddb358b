// Command registry, help text and argument parsing.
#include "cli/command.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "core/config_yaml.hpp"
#include "core/error.hpp"

namespace r1::cli {

std::vector<Command>& commands() {
  static std::vector<Command> list;
  return list;
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

std::optional<std::string> Args::maybe(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) return std::nullopt;
  return it->second;
}

int64_t Args::get_int(const std::string& name, int64_t fallback) const {
  auto v = maybe(name);
  if (!v) return fallback;
  char* end = nullptr;
  long long x = std::strtoll(v->c_str(), &end, 10);
  R1_INPUT_CHECK(!v->empty() && *end == 0, "command line: ", name, " expects an integer, got '", *v, "'");
  return x;
}

double Args::get_double(const std::string& name, double fallback) const {
  auto v = maybe(name);
  if (!v) return fallback;
  char* end = nullptr;
  double x = std::strtod(v->c_str(), &end);
  R1_INPUT_CHECK(!v->empty() && *end == 0, "command line: ", name, " expects a number, got '", *v, "'");
  return x;
}

const Command* find_command(const std::vector<std::string>& words, size_t* consumed) {
  const Command* best = nullptr;
  size_t best_len = 0;
  for (const Command& c : commands()) {
    std::istringstream is(c.name);
    std::vector<std::string> parts;
    for (std::string w; is >> w;) parts.push_back(w);
    if (parts.size() > words.size() || parts.size() <= best_len) continue;
    if (std::equal(parts.begin(), parts.end(), words.begin())) best = &c, best_len = parts.size();
  }
  *consumed = best_len;
  return best;
}

std::string command_help(const Command& c) {
  std::ostringstream os;
  os << "usage: r1 " << c.name;
  if (!c.options.empty()) os << " [options]";
  for (auto& p : c.positionals) {
    std::string n = p.name + (p.repeated ? " ..." : "");
    os << " " << (p.required ? n : "[" + n + "]");
  }
  if (c.takes_overrides) os << " [key.path=value ...]";
  os << "\n\n" << c.summary << "\n";
  if (!c.description.empty()) os << "\n" << c.description << "\n";
  if (!c.positionals.empty() || c.takes_overrides) {
    os << "\narguments:\n";
    for (auto& p : c.positionals) os << "  " << p.name << "\n      " << p.help << "\n";
    if (c.takes_overrides)
      os << "  key.path=value\n      override a config key, e.g. run_dir=runs/x stages.0.steps=50 model.hidden_size=128\n"
            "      (list items by index or by stage name: stages.sft.optim.lr=1e-4)\n";
  }
  os << "\noptions:\n";
  for (auto& o : c.options) {
    std::string head = o.name + (o.value_name.empty() ? "" : " " + o.value_name);
    os << "  " << head << "\n      " << o.help;
    if (!o.default_value.empty()) os << " (default: " << o.default_value << ")";
    os << "\n";
  }
  os << "  --help\n      show this help\n";
  return os.str();
}

std::string global_help() {
  std::ostringstream os;
  os << "r1 " << R1_VERSION << " — the DeepSeek-R1 training recipe as one SPMD program\n\n"
     << "usage: r1 <command> [options] [arguments]     (launch with mpirun -np N / srun for several ranks)\n\n"
     << "commands:\n";
  std::vector<const Command*> sorted;
  for (auto& c : commands()) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (auto* c : sorted) {
    std::string n = c->name;
    n.resize(std::max<size_t>(n.size(), 16), ' ');
    os << "  " << n << "  " << c->summary << "\n";
  }
  os << "\n'r1 <command> --help' explains every option of a command. 'r1 --version' prints the version.\n";
  return os.str();
}

std::string group_help(const std::string& group) {
  std::vector<const Command*> members;
  for (auto& c : commands())
    if (c.name.rfind(group + " ", 0) == 0) members.push_back(&c);
  if (members.empty()) return "";
  std::sort(members.begin(), members.end(), [](auto* a, auto* b) { return a->name < b->name; });
  std::ostringstream os;
  os << "usage: r1 " << group << " <subcommand> [options]\n\nsubcommands:\n";
  for (auto* c : members) {
    std::string n = c->name;
    n.resize(std::max<size_t>(n.size(), 16), ' ');
    os << "  " << n << "  " << c->summary << "\n";
  }
  os << "\n'r1 " << group << " <subcommand> --help' explains its options.\n";
  return os.str();
}

Args parse_args(const Command& c, const std::vector<std::string>& argv) {
  Args a;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& w = argv[i];
    const bool long_option = w.rfind("--", 0) == 0 && w.size() > 2;
    const bool short_option = w.size() == 2 && w[0] == '-' && std::isalpha(static_cast<unsigned char>(w[1]));
    if (long_option || short_option) {
      std::string name = w, value;
      bool has_value = false;
      if (auto eq = w.find('='); eq != std::string::npos) {
        name = w.substr(0, eq);
        value = w.substr(eq + 1);
        has_value = true;
      }
      auto it = std::find_if(c.options.begin(), c.options.end(), [&](const OptionSpec& o) { return o.name == name; });
      if (it == c.options.end()) {
        std::vector<std::string> names;
        for (auto& o : c.options) names.push_back(o.name);
        std::string near = closest_match(name, names);
        throw InputError("r1 " + c.name + ": unknown option " + name +
                         (near.empty() ? "" : " (did you mean " + near + "?)") + "; see 'r1 " + c.name + " --help'");
      }
      if (it->value_name.empty()) {
        R1_INPUT_CHECK(!has_value, "r1 ", c.name, ": option ", name, " takes no value");
        a.options[name] = "1";
      } else {
        if (!has_value) {
          R1_INPUT_CHECK(i + 1 < argv.size(), "r1 ", c.name, ": option ", name, " needs a value ", it->value_name);
          value = argv[++i];
        }
        a.options[name] = value;
      }
    } else if (c.takes_overrides && w.find('=') != std::string::npos && w.find('=') > 0) {
      a.overrides.push_back(w);
    } else {
      a.positionals.push_back(w);
    }
  }
  size_t required = 0, max = 0;
  bool repeated = false;
  for (auto& p : c.positionals) {
    required += p.required;
    ++max;
    repeated |= p.repeated;
  }
  R1_INPUT_CHECK(a.positionals.size() >= required, "r1 ", c.name, ": missing argument ",
                 c.positionals[a.positionals.size()].name, "; see 'r1 ", c.name, " --help'");
  R1_INPUT_CHECK(repeated || a.positionals.size() <= max, "r1 ", c.name, ": unexpected argument '",
                 a.positionals.size() > max ? a.positionals[max] : "", "'; see 'r1 ", c.name, " --help'");
  for (auto& o : c.options)
    if (!o.default_value.empty() && !a.options.count(o.name)) a.options[o.name] = o.default_value;
  return a;
}

}  // namespace r1::cli

// r1 main: finds the subcommand, starts MPI for commands that need it, and turns exceptions into
// one clear message and an exit code (2: bad input; 1: internal error). With several ranks an error
// aborts the whole job (MPI_Abort) so no peer hangs; rank 0 reports first, other ranks report only
// if the job is still alive a moment later (their error was not rank 0's).
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.hpp"
#include "parallel/mpi_io_defaults.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "kernels/blas_kernels.hpp"
#include "parallel/comm.hpp"
#include "engine/stop_signal.hpp"

namespace {

int report_and_exit(const char* kind, const std::string& msg, int code, int rank, int world_size) {
  if (world_size > 1 && rank != 0) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  std::string prefix = world_size > 1 ? "[rank " + std::to_string(rank) + "] " : "";
  std::fprintf(stderr, "%sr1: %s%s\n", prefix.c_str(), kind, msg.c_str());
  std::fflush(stderr);
  if (world_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace r1;
  reexec_with_cpu_blas_kernels(argv);  // before anything starts (MPI, threads): may exec again
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    std::cout << cli::global_help();
    return words.empty() ? 2 : 0;
  }
  if (words[0] == "--version") {
    std::cout << "r1 " << R1_VERSION << "\n";
    return 0;
  }
  size_t consumed = 0;
  const cli::Command* cmd = cli::find_command(words, &consumed);
  if (!cmd) {
    std::string group = cli::group_help(words[0]);
    if (!group.empty()) {
      bool asked = words.size() > 1 && (words[1] == "--help" || words[1] == "-h");
      (asked ? std::cout : std::cerr) << group;
      if (!asked && words.size() > 1) std::fprintf(stderr, "r1: unknown subcommand '%s %s'\n", words[0].c_str(), words[1].c_str());
      return asked ? 0 : 2;
    }
    std::fprintf(stderr, "r1: unknown command '%s'; see 'r1 --help'\n", words[0].c_str());
    return 2;
  }
  std::vector<std::string> rest(words.begin() + long(consumed), words.end());
  for (auto& w : rest)
    if (w == "--help" || w == "-h") {
      std::cout << cli::command_help(*cmd);
      return 0;
    }

  int provided = 0;
  apply_mpi_io_defaults();
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  set_log_rank(rank);
  int code = 0;
  try {
    cli::Args args = cli::parse_args(*cmd, rest);
    Comm world = Comm::duplicate(MPI_COMM_WORLD);
    code = cmd->run(args, world);
  } catch (const StopRequested&) {
    MPI_Finalize();
    return kRequeueExitCode;
  } catch (const InputError& e) {
    return report_and_exit("error: ", e.what(), 2, rank, size);
  } catch (const std::exception& e) {
    return report_and_exit("internal error: ", e.what(), 1, rank, size);
  }
  MPI_Finalize();
  return code;
}

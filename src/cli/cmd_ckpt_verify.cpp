// `r1 ckpt verify CKPT.h5`: recomputes every dataset's checksum and checks the format attribute
// (CheckpointReader::verify). Prints "ok" or every failing dataset; exits with 1 when the file
// fails (also when it cannot be opened as a checkpoint at all), so scripts can test it.
#include <cstdio>
#include <iostream>

#include "cli/command.hpp"
#include "core/error.hpp"
#include "io/checkpoint/checkpoint_file.hpp"

namespace r1::cli {

namespace {

int ckpt_verify(const Args& a, const Comm& world) {
  if (world.rank() != 0) return 0;
  const std::string& path = a.positionals[0];
  std::string failure;
  try {
    CheckpointReader reader(path);
    VerifyResult result = reader.verify();
    if (result.ok()) {
      std::cout << path << ": ok (" << result.datasets_checked << " datasets)\n";
      return 0;
    }
    failure = path + ": " + std::to_string(result.failures.size()) + " failing dataset(s) of " +
              std::to_string(result.datasets_checked) + ":";
    for (const DatasetFailure& f : result.failures) failure += "\n  " + f.dataset + ": " + f.reason;
  } catch (const InputError& e) {
    failure = e.what();
  }
  // Reported like main reports an InputError, but with exit code 1: "the file failed".
  std::cout << path << ": FAILED\n";
  std::fprintf(stderr, "r1: error: %s\n", failure.c_str());
  return 1;
}

Registrar reg(Command{"ckpt verify", "check every dataset's checksum in an r1 checkpoint file",
                      "Recomputes each dataset's layout-independent checksum (r1_checksum) and checks the r1_format\n"
                      "attribute. Prints 'ok' or every failing dataset with the reason; the exit code is 0 when the\n"
                      "file is intact and 1 when it fails or cannot be opened as a checkpoint.",
                      {{"CKPT", "r1 checkpoint file (.h5)"}},
                      {},
                      false,
                      false,
                      ckpt_verify});

}  // namespace

}  // namespace r1::cli

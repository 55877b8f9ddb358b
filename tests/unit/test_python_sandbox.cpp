// The code reward's sandbox (rl/rewards/python_sandbox.hpp) against hostile programs: each fails (or
// is stopped) safely and quickly and leaves the host unharmed — syntax errors, infinite loops,
// sleeping past the wall clock, fork bombs, a 100 GB allocation, network connections, writes outside
// its directory, reading another run's files, deleting the host's files, printing without end.
#include <boost/test/unit_test.hpp>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "rl/rewards/python_sandbox.hpp"

using namespace r1::rewards;

namespace {

SandboxLimits quick() {
  SandboxLimits l;
  l.wall_seconds = 3;
  l.cpu_seconds = 1;
  l.output_bytes = 1 << 16;
  return l;
}

SandboxResult run(const std::string& program) {
  SandboxResult r = run_python(program, quick());
  BOOST_TEST_REQUIRE(r.ran, "the sandbox did not start: " << r.error);
  BOOST_TEST(r.seconds < 4.0, "took " << r.seconds << " s");
  return r;
}

// Processes of the sandbox user (nobody) on the host: none may outlive a run.
int nobody_processes() {
  int n = 0;
  DIR* d = opendir("/proc");
  if (!d) return -1;
  while (dirent* e = readdir(d)) {
    struct stat st;
    const std::string p = std::string("/proc/") + e->d_name;
    if (e->d_name[0] >= '0' && e->d_name[0] <= '9' && stat(p.c_str(), &st) == 0 && st.st_uid == 65534) ++n;
  }
  closedir(d);
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(test_python_sandbox)

BOOST_AUTO_TEST_CASE(a_program_runs_and_its_output_is_kept) {
  SandboxResult r = run("import sys\nprint('hello', sum(range(10)))\nsys.stderr.write('note\\n')\n");
  BOOST_TEST(r.passed());
  BOOST_TEST(r.output == "hello 45\nnote\n");
  BOOST_TEST(run("").passed());  // an empty program exits 0 (its tests, appended by the reward, fail)
  SandboxResult fail = run("raise SystemExit(3)");
  BOOST_TEST(fail.exit_code == 3);
  BOOST_TEST(!fail.passed());
}

BOOST_AUTO_TEST_CASE(syntax_errors_fail) {
  SandboxResult r = run("def f(:\n  return 1\n");
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.output.find("SyntaxError") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(loops_and_sleeps_are_stopped) {
  SandboxResult spin = run("while True:\n  pass\n");  // CPU limit (1 s)
  BOOST_TEST(!spin.passed());
  BOOST_TEST(spin.seconds < 2.5);
  SandboxResult sleep = run("import time\ntime.sleep(100)\n");  // wall-clock limit (3 s)
  BOOST_TEST(sleep.timed_out);
  BOOST_TEST(!sleep.passed());
}

BOOST_AUTO_TEST_CASE(fork_bombs_are_contained_and_leave_nothing_behind) {
  SandboxResult r = run("import os\nwhile True:\n  try:\n    os.fork()\n  except OSError:\n    pass\n");
  BOOST_TEST(!r.passed());
  // When the namespace's PID 1 ends the kernel kills the rest; give it a moment to reap them.
  int left = nobody_processes();
  for (int i = 0; i < 200 && left != 0; ++i) {
    usleep(10000);
    left = nobody_processes();
  }
  BOOST_TEST(left == 0);
}

BOOST_AUTO_TEST_CASE(huge_allocations_fail) {
  SandboxResult r = run("x = bytearray(100 * 1024**3)\n");
  BOOST_TEST(r.exit_code == 1);
  BOOST_TEST(r.output.find("MemoryError") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_CASE(no_network) {
  for (const char* host : {"1.1.1.1", "127.0.0.1"}) {
    SandboxResult r = run(std::string("import socket\nsocket.create_connection(('") + host + "', 80), timeout=1)\n");
    BOOST_TEST(r.exit_code == 1, host << ": " << r.output);
    BOOST_TEST((r.output.find("Error") != std::string::npos), r.output);
  }
}

BOOST_AUTO_TEST_CASE(the_host_file_system_is_out_of_reach) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::absolute(fs::temp_directory_path() / ("r1-sandbox-test-" + std::to_string(getpid())));
  fs::create_directories(dir);
  const fs::path secret = dir / "other_run_metrics.jsonl", canary = dir / "written_by_sandbox";
  std::ofstream(secret) << "secret\n";
  chmod(dir.c_str(), 0755);
  chmod(secret.c_str(), 0644);  // world-readable on the host
  // Reading another run's files: not in the sandbox's root at all.
  SandboxResult read = run("print(open('" + secret.string() + "').read())\n");
  BOOST_TEST(read.exit_code == 1);
  BOOST_TEST(read.output.find("secret") == std::string::npos, read.output);
  // Writing outside its directory: the host's /tmp is not the sandbox's, /usr is read-only.
  SandboxResult write = run("open('" + canary.string() + "', 'w').write('x')\n");
  BOOST_TEST(write.exit_code == 1);
  BOOST_TEST(!fs::exists(canary));
  SandboxResult usr = run("open('/usr/evil', 'w').write('x')\n");
  BOOST_TEST(usr.exit_code == 1);
  BOOST_TEST(!fs::exists("/usr/evil"));
  // Deleting files: the interpreter itself stays.
  SandboxResult del = run("import os\nos.remove('/usr/bin/python3')\n");
  BOOST_TEST(del.exit_code == 1);
  BOOST_TEST(fs::exists("/usr/bin/python3"));
  // Its own directory and /tmp are writable.
  BOOST_TEST(run("open('out.txt', 'w').write('ok')\nopen('/tmp/t', 'w').write('ok')\n").passed());
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(endless_output_is_cut_off) {
  SandboxResult r = run("import sys\nwhile True:\n  sys.stdout.write('x' * 65536)\n");
  BOOST_TEST(r.output_truncated);
  BOOST_TEST(r.output.size() == size_t(1 << 16));
  BOOST_TEST(r.seconds < 1.0);
  BOOST_TEST(!r.passed());
}

BOOST_AUTO_TEST_SUITE_END()

// run_python: fork a child that makes new namespaces and forks the sandbox's PID 1, which builds a
// private root, drops to nobody, sets the rlimits and execs python3; the parent collects the output
// under the wall-clock and output limits and kills the whole process group when either is hit.
// Between fork and exec only system calls run (r1 may have other threads).
#include "rl/rewards/python_sandbox.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include <grp.h>

namespace r1::rewards {

namespace {

constexpr uid_t kNobody = 65534;
constexpr const char* kRoot = "/tmp/root";  // inside the sandbox's own /tmp mount

// Async-signal-safe report of a set-up failure to the parent, then exit.
[[noreturn]] void fail(int fd, const char* what) {
  const int e = errno;
  char buf[160];
  size_t n = 0;
  for (const char* p = what; *p && n < 100; ++p) buf[n++] = *p;
  const char* sep = ": errno ";
  for (const char* p = sep; *p; ++p) buf[n++] = *p;
  char digits[12];
  int d = 0, v = e;
  do {
    digits[d++] = char('0' + v % 10);
    v /= 10;
  } while (v > 0 && d < 11);
  while (d > 0) buf[n++] = digits[--d];
  (void)!write(fd, buf, n);
  _exit(127);
}

void set_limit(int fd, int resource, int64_t value, const char* what) {
  const rlimit r{rlim_t(value), rlim_t(value)};
  if (setrlimit(resource, &r) != 0) fail(fd, what);
}

// Everything the sandbox's PID 1 does before exec; paths are prepared by the parent.
struct Plan {
  std::string tmpfs_options;
  std::vector<std::string> dirs;             // host folders bound read-only (or recreated as links)
  std::vector<std::string> targets;          // their places under kRoot
  std::vector<std::string> devices, device_targets;
  std::string tmp, work, program_path;
  const std::string* program = nullptr;
  SandboxLimits limits;
};

[[noreturn]] void sandbox_init(const Plan& p, int out_fd, int err_fd) {
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail(err_fd, "mount --make-rprivate /");
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, p.tmpfs_options.c_str()) != 0) fail(err_fd, "mount tmpfs");
  if (mkdir(kRoot, 0755) != 0) fail(err_fd, "mkdir root");
  for (size_t i = 0; i < p.dirs.size(); ++i) {
    struct stat st;
    if (lstat(p.dirs[i].c_str(), &st) != 0) continue;  // absent on this system
    if (S_ISLNK(st.st_mode)) {
      char link[256];
      const ssize_t n = readlink(p.dirs[i].c_str(), link, sizeof link - 1);
      if (n <= 0) fail(err_fd, "readlink");
      link[n] = 0;
      if (symlink(link, p.targets[i].c_str()) != 0) fail(err_fd, "symlink");
      continue;
    }
    if (mkdir(p.targets[i].c_str(), 0755) != 0) fail(err_fd, "mkdir bind target");
    if (mount(p.dirs[i].c_str(), p.targets[i].c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) fail(err_fd, "bind mount");
    if (mount(nullptr, p.targets[i].c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0)
      fail(err_fd, "read-only remount");
  }
  if (mkdir((std::string(kRoot) + "/dev").c_str(), 0755) != 0) fail(err_fd, "mkdir dev");
  for (size_t i = 0; i < p.devices.size(); ++i) {
    const int fd = open(p.device_targets[i].c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0) fail(err_fd, "create device node target");
    close(fd);
    if (mount(p.devices[i].c_str(), p.device_targets[i].c_str(), nullptr, MS_BIND, nullptr) != 0) fail(err_fd, "bind device");
  }
  if (mkdir(p.tmp.c_str(), 0777) != 0 || chmod(p.tmp.c_str(), 01777) != 0) fail(err_fd, "mkdir tmp");
  if (mkdir(p.work.c_str(), 0755) != 0 || chown(p.work.c_str(), kNobody, kNobody) != 0) fail(err_fd, "mkdir work");
  const int prog = open(p.program_path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (prog < 0) fail(err_fd, "create program");
  for (size_t done = 0; done < p.program->size();) {
    const ssize_t n = write(prog, p.program->data() + done, p.program->size() - done);
    if (n <= 0) fail(err_fd, "write program");
    done += size_t(n);
  }
  close(prog);
  if (chroot(kRoot) != 0 || chdir("/work") != 0) fail(err_fd, "chroot");
  set_limit(err_fd, RLIMIT_CPU, p.limits.cpu_seconds, "RLIMIT_CPU");
  set_limit(err_fd, RLIMIT_AS, p.limits.memory_bytes, "RLIMIT_AS");
  set_limit(err_fd, RLIMIT_FSIZE, p.limits.file_bytes, "RLIMIT_FSIZE");
  set_limit(err_fd, RLIMIT_NPROC, p.limits.processes, "RLIMIT_NPROC");
  set_limit(err_fd, RLIMIT_NOFILE, 64, "RLIMIT_NOFILE");
  set_limit(err_fd, RLIMIT_CORE, 0, "RLIMIT_CORE");
  if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0) fail(err_fd, "drop to nobody");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail(err_fd, "no_new_privs");
  const int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0) fail(err_fd, "redirect");
  const char* argv[] = {"python3", "-I", "-u", "main.py", nullptr};  // isolated, unbuffered (output in order)
  const char* envp[] = {"PATH=/usr/bin:/bin", "HOME=/work", "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1",
                        "PYTHONHASHSEED=0", nullptr};
  execve("/usr/bin/python3", const_cast<char* const*>(argv), const_cast<char* const*>(envp));
  fail(err_fd, "exec /usr/bin/python3");
}

// The first child: new namespaces, then PID 1 of the new PID namespace; ends as PID 1 ended.
[[noreturn]] void sandbox_parent(const Plan& p, int out_fd, int err_fd) {
  setsid();  // its own process group: the parent kills the group
  if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) != 0) fail(err_fd, "unshare");
  const pid_t init = fork();
  if (init < 0) fail(err_fd, "fork");
  if (init == 0) sandbox_init(p, out_fd, err_fd);
  close(out_fd);
  close(err_fd);
  int status = 0;
  while (waitpid(init, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    signal(WTERMSIG(status), SIG_DFL);
    kill(getpid(), WTERMSIG(status));
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 127);
}

Plan make_plan(const std::string& program, const SandboxLimits& limits) {
  Plan p;
  p.tmpfs_options = "size=" + std::to_string(limits.tmpfs_bytes) + ",mode=0755";
  for (const char* d : {"/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin"}) {
    p.dirs.push_back(d);
    p.targets.push_back(std::string(kRoot) + d);
  }
  for (const char* d : {"/dev/null", "/dev/zero", "/dev/urandom"}) {
    p.devices.push_back(d);
    p.device_targets.push_back(std::string(kRoot) + d);
  }
  p.tmp = std::string(kRoot) + "/tmp";
  p.work = std::string(kRoot) + "/work";
  p.program_path = p.work + "/main.py";
  p.program = &program;
  p.limits = limits;
  return p;
}

}  // namespace

SandboxResult run_python(const std::string& program, const SandboxLimits& limits) {
  SandboxResult r;
  const auto t0 = std::chrono::steady_clock::now();
  const Plan plan = make_plan(program, limits);
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  const pid_t child = fork();
  if (child < 0) {
    r.error = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  if (child == 0) {
    close(out[0]);
    close(err[0]);
    sandbox_parent(plan, out[1], err[1]);
  }
  close(out[1]);
  close(err[1]);
  const auto deadline = t0 + std::chrono::duration<double>(limits.wall_seconds);
  auto kill_all = [&] { kill(-child, SIGKILL); };
  char buf[65536];
  bool open_out = true;
  while (open_out) {
    const double left = std::chrono::duration<double>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      r.timed_out = true;
      kill_all();
      break;
    }
    pollfd pfd{out[0], POLLIN, 0};
    const int ready = poll(&pfd, 1, int(left * 1000) + 1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n <= 0) {
      open_out = false;
      break;
    }
    const size_t room = size_t(limits.output_bytes) - std::min(r.output.size(), size_t(limits.output_bytes));
    r.output.append(buf, std::min(size_t(n), room));
    if (size_t(n) > room) {
      r.output_truncated = true;
      kill_all();
      break;
    }
  }
  // Output closed (or the program was killed): wait for the exit, still under the wall-clock limit.
  int status = 0;
  while (true) {
    const pid_t w = waitpid(child, &status, WNOHANG);
    if (w == child) break;
    if (w < 0 && errno != EINTR) break;
    if (std::chrono::steady_clock::now() >= deadline && !r.timed_out) {
      r.timed_out = true;
      kill_all();
    }
    usleep(2000);
  }
  close(out[0]);
  char ebuf[256];
  const ssize_t en = read(err[0], ebuf, sizeof ebuf);
  close(err[0]);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (en > 0) {
    r.error = "sandbox set-up failed: " + std::string(ebuf, size_t(en));
    return r;
  }
  r.ran = true;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

}  // namespace r1::rewards

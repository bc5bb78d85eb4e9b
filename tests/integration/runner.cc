#include "runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

namespace sandbox::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Descriptors the parent prepares for the child live at or above this number, so the child's
// dup2() onto 0..2 and onto the requested targets (3..63) can never clobber one another.
constexpr int kHighFd = 64;
constexpr int kSpawnFailed = 120;

// Moves `fd` to a close-on-exec descriptor >= kHighFd. Returns -1 on failure.
int MoveHigh(int fd) {
  if (fd < 0) return -1;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, kHighFd);
  close(fd);
  return high;
}

void CloseIfOpen(int* fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

// Between fork and execve: only async-signal-safe calls, because everything was prepared before
// the fork.
[[noreturn]] void ExecChild(char* const* argv, char* const* envp, int in_fd, bool terminal,
                            int out_fd, int err_fd, const std::vector<std::pair<int, int>>& inherit,
                            const std::vector<unsigned>& keep_sorted, const char* cwd) {
  if (cwd != nullptr && chdir(cwd) != 0) _exit(kSpawnFailed);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  // A test binary started in the background by a non-interactive shell has SIGINT and SIGQUIT
  // ignored, and an ignored signal stays ignored across execve: Ctrl-C tests would then test
  // nothing of the sandbox's.
  for (int sig : {SIGPIPE, SIGINT, SIGQUIT}) signal(sig, SIG_DFL);
  if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(kSpawnFailed);
  // A session leader acquires a controlling terminal with TIOCSCTTY (tty_ioctl(4)).
  if (terminal && (setsid() < 0 || ioctl(0, TIOCSCTTY, 0) != 0)) _exit(kSpawnFailed);
  for (const auto& [target, source] : inherit) {
    if (dup2(source, target) < 0) _exit(kSpawnFailed);
  }
  unsigned first = 3;
  for (unsigned keep : keep_sorted) {
    if (keep > first) close_range(first, keep - 1, 0);
    first = keep + 1;
  }
  close_range(first, ~0U, 0);
  execve(argv[0], argv, envp);
  const char* reason = strerror(errno);  // fine here: the glibc table lookup does not allocate
  const char prefix[] = "runner: execve failed: ";
  (void)!write(2, prefix, sizeof(prefix) - 1);
  (void)!write(2, argv[0], strlen(argv[0]));
  (void)!write(2, ": ", 2);
  (void)!write(2, reason, strlen(reason));
  (void)!write(2, "\n", 1);
  _exit(kSpawnFailed);
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const RunResult& result) {
  os << "exit_code=" << result.exit_code << " term_signal=" << result.term_signal
     << " timed_out=" << (result.timed_out ? "yes" : "no")
     << " elapsed_ms=" << result.elapsed.count() << "\n--- stdout ---\n"
     << result.out << "--- stderr ---\n"
     << result.err << "--------------";
  return os;
}

Process::Process(const std::vector<std::string>& argv, const SpawnOptions& options)
    : start_(Clock::now()), deadline_(start_ + options.timeout) {
  std::vector<char*> c_argv = CStrings(argv);
  std::vector<char*> c_envp = CStrings(options.env);
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (argv.empty() || pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    result_.err = std::string("runner: cannot create pipes: ") + strerror(errno) + "\n";
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) close(fd);
    }
    return;
  }
  bool terminal = options.terminal_fd >= 0;
  int in_fd = terminal                ? fcntl(options.terminal_fd, F_DUPFD_CLOEXEC, kHighFd)
              : options.stdin_fd >= 0 ? fcntl(options.stdin_fd, F_DUPFD_CLOEXEC, kHighFd)
                                      : MoveHigh(open("/dev/null", O_RDONLY | O_CLOEXEC));
  int out_w = MoveHigh(out_pipe[1]);
  int err_w = MoveHigh(err_pipe[1]);
  std::vector<std::pair<int, int>> inherit;
  std::vector<unsigned> keep;
  for (const auto& [target, source] : options.inherit_fds) {
    inherit.emplace_back(target, fcntl(source, F_DUPFD_CLOEXEC, kHighFd));
    keep.push_back(static_cast<unsigned>(target));
  }
  std::sort(keep.begin(), keep.end());
  bool ready = in_fd >= 0 && out_w >= 0 && err_w >= 0;
  for (const auto& [target, copy] : inherit) {
    ready = ready && copy >= 0 && target > 2 && target < kHighFd;
  }

  if (ready) {
    pid_ = fork();
    if (pid_ == 0) {
      ExecChild(c_argv.data(), c_envp.data(), in_fd, terminal, out_w, err_w, inherit, keep,
                options.cwd.empty() ? nullptr : options.cwd.c_str());
    }
  }
  int spawn_errno = errno;
  close(in_fd);
  close(out_w);
  close(err_w);
  for (const auto& [target, copy] : inherit) {
    if (copy >= 0) close(copy);
  }
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  if (pid_ < 0) {
    result_.err = ready ? std::string("runner: fork failed: ") + strerror(spawn_errno) + "\n"
                        : "runner: cannot prepare the child's descriptors\n";
    CloseIfOpen(&out_fd_);
    CloseIfOpen(&err_fd_);
  }
}

Process::~Process() {
  if (pid_ > 0 && !reaped_) KillAndReap();
  CloseIfOpen(&out_fd_);
  CloseIfOpen(&err_fd_);
}

bool Process::Expired() const { return Clock::now() >= deadline_; }

bool Process::Pump() {
  pollfd fds[2];
  std::string* sinks[2];
  int* owners[2];
  nfds_t count = 0;
  if (out_fd_ >= 0) {
    fds[count] = {out_fd_, POLLIN, 0};
    sinks[count] = &result_.out;
    owners[count++] = &out_fd_;
  }
  if (err_fd_ >= 0) {
    fds[count] = {err_fd_, POLLIN, 0};
    sinks[count] = &result_.err;
    owners[count++] = &err_fd_;
  }
  if (count == 0) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
  if (left.count() <= 0) return false;
  int ready = poll(fds, count, static_cast<int>(left.count()) + 1);
  if (ready < 0) return errno == EINTR;
  if (ready == 0) return false;
  for (nfds_t i = 0; i < count; ++i) {
    if (fds[i].revents == 0) continue;
    char buf[4096];
    ssize_t n = read(fds[i].fd, buf, sizeof(buf));
    if (n > 0) {
      sinks[i]->append(buf, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      CloseIfOpen(owners[i]);
    }
  }
  return out_fd_ >= 0 || err_fd_ >= 0;
}

bool Process::WaitForStdout(std::string_view needle) {
  while (result_.out.find(needle) == std::string::npos) {
    if (!Pump()) return result_.out.find(needle) != std::string::npos;
  }
  return true;
}

void Process::CloseStdout() { CloseIfOpen(&out_fd_); }

void Process::KillAndReap() {
  kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
}

RunResult Process::Finish() {
  if (pid_ <= 0 || reaped_) return result_;
  while (Pump()) {
  }
  int status = 0;
  for (;;) {
    pid_t got = waitpid(pid_, &status, WNOHANG);
    if (got == pid_) {
      reaped_ = true;
      break;
    }
    if (got < 0 && errno != EINTR) {
      result_.err += std::string("runner: waitpid failed: ") + strerror(errno) + "\n";
      reaped_ = true;
      break;
    }
    if (Expired()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!reaped_) {
    // Still running, or still holding the output pipes open past the deadline.
    result_.timed_out = true;
    KillAndReap();
  } else if (WIFEXITED(status)) {
    result_.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result_.term_signal = WTERMSIG(status);
  }
  CloseIfOpen(&out_fd_);
  CloseIfOpen(&err_fd_);
  result_.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start_);
  return result_;
}

RunResult RunProcess(const std::vector<std::string>& argv, const SpawnOptions& options) {
  Process process(argv, options);
  return process.Finish();
}

}  // namespace sandbox::testing

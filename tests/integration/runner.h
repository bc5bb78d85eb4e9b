// Spawns a process with separate stdout/stderr pipes, a fixed environment, chosen inherited
// descriptors and a hard deadline, for integration tests that run the real sandbox binary.
#ifndef SANDBOX_TESTS_INTEGRATION_RUNNER_H_
#define SANDBOX_TESTS_INTEGRATION_RUNNER_H_

#include <sys/types.h>

#include <chrono>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sandbox::testing {

struct SpawnOptions {
  /// The child's working directory; empty keeps the caller's.
  std::string cwd;
  /// The child's complete environment ("NAME=value" entries); nothing else is inherited.
  std::vector<std::string> env;
  /// {target, source}: the child gets a copy of the caller's `source` at `target` (3..63),
  /// without FD_CLOEXEC. Every other descriptor above 2 is closed in the child.
  std::vector<std::pair<int, int>> inherit_fds;
  /// If set, the child's stdin, and the controlling terminal of a new session the child leads
  /// (a pty slave; the runner calls setsid and TIOCSCTTY before exec).
  int terminal_fd = -1;
  /// If set (and terminal_fd is not), the child's stdin instead of /dev/null, e.g. a pipe.
  int stdin_fd = -1;
  /// After this the child is killed with SIGKILL and the result is marked timed_out.
  std::chrono::milliseconds timeout{30000};
};

struct RunResult {
  int exit_code = -1;      ///< exit status, or -1 if the process did not exit normally
  int term_signal = 0;     ///< the signal that killed it, or 0
  bool timed_out = false;  ///< the runner killed it at the deadline
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
};

/// Everything about a run, for assertion messages.
std::ostream& operator<<(std::ostream& os, const RunResult& result);

/// One running child. The destructor kills (SIGKILL) and reaps a child not yet finished.
class Process {
 public:
  /// Forks and execs argv[0] (an absolute path; no PATH search). A failure to spawn shows up in
  /// Finish() as exit_code -1 with the reason in `err`.
  Process(const std::vector<std::string>& argv, const SpawnOptions& options);
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }

  /// Reads output until stdout contains `needle`. False on EOF or at the deadline.
  bool WaitForStdout(std::string_view needle);

  /// Reads both pipes to EOF and reaps the child, killing it at the deadline.
  RunResult Finish();

  /// Closes the reading end of the child's stdout: its next write there fails with EPIPE (or
  /// SIGPIPE). Output read so far stays in the result.
  void CloseStdout();

 private:
  // Reads whatever is available, waiting at most until the deadline. False once nothing more
  // can come (both pipes at EOF) or the deadline has passed.
  bool Pump();
  bool Expired() const;
  void KillAndReap();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool reaped_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point deadline_;
  RunResult result_;
};

/// Process(argv, options).Finish().
RunResult RunProcess(const std::vector<std::string>& argv, const SpawnOptions& options);

}  // namespace sandbox::testing

#endif  // SANDBOX_TESTS_INTEGRATION_RUNNER_H_

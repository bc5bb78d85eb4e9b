// pid 1 of the sandbox: reaps orphans, forwards the supervisor's signals to the job, and ends
// with the job (its exit tears the pid namespace down, killing every leftover process).
#ifndef SANDBOX_INIT_INIT_H_
#define SANDBOX_INIT_INIT_H_

#include <signal.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>

namespace sandbox::init {

/// The signals the supervisor forwards and pid 1 passes on to the job.
inline constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/// Fills *set with kForwardedSignals plus SIGCHLD. Async-signal-safe.
void ForwardedSignalSet(sigset_t* set) noexcept;

/// A bounded tmpfs of the sandbox: once the job ended, pid 1 looks whether it is full.
struct BoundedMount {
  int fd = -1;                   // the mount's root (O_PATH), kept by pid 1
  const char* target = nullptr;  // inside the sandbox, without the leading '/'
  uint64_t size_bytes = 0;
  int op_index = -1;
};

/// Runs pid 1 until the job exits, then reports the job's wait status on sync_fd as a
/// kJobExited record and exits with the status the supervisor would map it to. The forwarded
/// signals and SIGCHLD must already be blocked. Never returns. Async-signal-safe.
/// own_pid_namespace: this process is pid 1 of the sandbox's pid namespace, so when the job
/// ends every other process there is killed and reaped before the status goes out. Without one
/// (bwrap mode without --unshare-pid) kill(-1) would reach the caller's other processes:
/// only the job's status is reported.
/// Before the status, a kTmpfsFull record goes out for each of `bounded` that has no free
/// block or inode left.
[[noreturn]] void RunInit(pid_t job, int sync_fd, bool own_pid_namespace,
                          const BoundedMount* bounded = nullptr, size_t bounded_count = 0) noexcept;

}  // namespace sandbox::init

#endif  // SANDBOX_INIT_INIT_H_

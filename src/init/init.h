// pid 1 of the sandbox: reaps orphans, forwards the supervisor's signals to the job, and ends
// with the job (its exit tears the pid namespace down, killing every leftover process).
#ifndef SANDBOX_INIT_INIT_H_
#define SANDBOX_INIT_INIT_H_

#include <signal.h>
#include <sys/types.h>

namespace sandbox::init {

/// The signals the supervisor forwards and pid 1 passes on to the job.
inline constexpr int kForwardedSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

/// Fills *set with kForwardedSignals plus SIGCHLD. Async-signal-safe.
void ForwardedSignalSet(sigset_t* set) noexcept;

/// Runs pid 1 until the job exits, then reports the job's wait status on sync_fd as a
/// kJobExited record and exits with the status the supervisor would map it to. The forwarded
/// signals and SIGCHLD must already be blocked. Never returns. Async-signal-safe.
[[noreturn]] void RunInit(pid_t job, int sync_fd) noexcept;

}  // namespace sandbox::init

#endif  // SANDBOX_INIT_INIT_H_

// The job's side of the sandbox: the hardening sequence from fork to execve, shared by a run's
// first job and by any process later entered into a running sandbox. Async-signal-safe.
#ifndef SANDBOX_CHILD_JOB_H_
#define SANDBOX_CHILD_JOB_H_

#include <cstddef>
#include <cstdint>

#include "child/plan.h"
#include "child/step_error.h"
#include "common/record.h"

namespace sandbox::child {

inline constexpr size_t kMaxKeptFds = 256;

/// CLOCK_MONOTONIC in nanoseconds.
int64_t MonotonicNow() noexcept;

/// --verbose: tells the supervisor a step finished and how long it took since *since, then
/// restarts the clock. A no-op unless plan.report_steps.
void ReportStep(const ChildPlan& plan, SetupStep step, int op_index, int64_t* since) noexcept;

/// Sends e to the supervisor as a record of the given kind and exits with exit_code.
[[noreturn]] void FailWith(const ChildPlan& plan, RecordKind kind, const StepError& e,
                           int exit_code) noexcept;

/// The sync socket plus --pass-fd descriptors, sorted, as CloseDescriptorsExcept wants them.
/// keep must hold kMaxKeptFds entries.
size_t KeptDescriptors(const ChildPlan& plan, int* keep) noexcept;

/// Runs the job's hardening in order (signals unblocked, session, cwd, umask, descriptors,
/// rlimits, Landlock, capabilities, no_new_privs, seccomp last) and execs plan.argv. Any
/// failure is reported on plan.sync_fd; exits 125/126/127 then. With terminal_slave >= 0 (--tty)
/// that pty becomes the job's controlling terminal and stdio. landlock_ruleset >= 0: the
/// finished ruleset pid 1 built (taken and closed); -1: plan.landlock_rules by path (`enter`).
[[noreturn]] void RunJob(const ChildPlan& plan, int terminal_slave = -1,
                         int landlock_ruleset = -1) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_JOB_H_

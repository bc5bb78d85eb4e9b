// Installing the job's seccomp filter: the last step before execve, after no_new_privs (which
// an unprivileged filter needs) and after everything the filter would refuse. Job side,
// async-signal-safe: the program was compiled by the supervisor.
#ifndef SANDBOX_CHILD_SECCOMP_H_
#define SANDBOX_CHILD_SECCOMP_H_

#include "child/plan.h"
#include "child/step_error.h"

namespace sandbox::child {

/// Installs plan.seccomp_program (nothing when empty). With plan.seccomp_listener, the
/// notification listener goes to the supervisor over plan.sync_fd and is closed here.
StepError InstallSeccompFilter(const ChildPlan& plan) noexcept;

/// bwrap's --seccomp / --add-seccomp-fd programs, each installed as given, in order (the
/// kernel runs every filter; the most restrictive answer wins).
StepError InstallExtraSeccompPrograms(const ChildPlan& plan) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_SECCOMP_H_

// The job's execve with execvp's PATH search done on the plan's precomputed PATH, so it needs
// no allocation and no libc state. Job side, async-signal-safe.
#ifndef SANDBOX_CHILD_EXEC_H_
#define SANDBOX_CHILD_EXEC_H_

#include "child/plan.h"
#include "child/step_error.h"

namespace sandbox::child {

/// Executes the plan's command with `envp` (plan.envp or one of its variants). Only returns on
/// failure: the errno that decides between 126 (EACCES and other errors) and 127 (ENOENT: not
/// found anywhere).
StepError ExecuteJob(const ChildPlan& plan, char* const* envp) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_EXEC_H_

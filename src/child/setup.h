// The child's whole life between clone() and execve(): the steps, in the order they must
// happen. Runs as pid 1 of the new namespaces; async-signal-safe, never returns.
#ifndef SANDBOX_CHILD_SETUP_H_
#define SANDBOX_CHILD_SETUP_H_

#include "child/plan.h"

namespace sandbox::child {

/// Waits for the supervisor's go (id maps written), builds the sandbox, forks the job and
/// becomes its init. Failures are sent to plan.sync_fd as records; then exits 125.
[[noreturn]] void RunSandbox(const ChildPlan& plan) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_SETUP_H_

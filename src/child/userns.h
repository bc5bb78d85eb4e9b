// bwrap mode's user namespaces. The second one, made by pid 1 once the mounts are done, moves
// the sandbox from uid 0 (which devpts needed) to the id asked for, and it is what makes
// --disable-userns stick (the limit is set in the first namespace, out of the job's reach).
// In a joined one (--userns), pid 1 switches to the ids asked for. Child side,
// async-signal-safe.
#ifndef SANDBOX_CHILD_USERNS_H_
#define SANDBOX_CHILD_USERNS_H_

#include "child/plan.h"
#include "child/step_error.h"

namespace sandbox::child {

/// With plan.disable_userns, sets user.max_user_namespaces to 1 in the current namespace;
/// then unshares a user namespace and maps plan.nest_uid/gid onto nest_outer_uid/gid.
/// proc_fd is a /proc directory (the host's: the new root may have none).
StepError NestUserNamespace(const ChildPlan& plan, int proc_fd) noexcept;

/// bwrap --userns: setuid(plan.switch_uid), then setgid(plan.switch_gid), each unless -1. Keeps
/// the parent-death signal and dumpable flag as they were (a change of ids clears both).
StepError SwitchToRequestedIds(const ChildPlan& plan) noexcept;

/// --disable-userns / --assert-userns-disabled: fails unless creating a user namespace is
/// refused. (On success of the probe this process is left in the new namespace, and the run
/// stops anyway.)
StepError CheckUserNamespacesDisabled() noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_USERNS_H_

// The sandbox's identity: the child maps its own ids in the user namespace it created, the way
// unshare(1) and unprivileged bubblewrap do, so nothing waits for the supervisor between
// clone() and the first mount. Child side, async-signal-safe.
#ifndef SANDBOX_CHILD_ID_MAPS_H_
#define SANDBOX_CHILD_ID_MAPS_H_

#include "child/plan.h"
#include "child/step_error.h"

namespace sandbox::child {

/// Writes "deny" to /proc/self/setgroups, then the plan's one-line uid_map and gid_map.
StepError WriteOwnIdMaps(const ChildPlan& plan) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_ID_MAPS_H_

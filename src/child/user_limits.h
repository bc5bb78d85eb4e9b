// The sandbox's own user namespace bounds what the job may take of the caller's per-user
// kernel objects (inotify instances and watches, fanotify groups and marks, namespaces).
// Child side, async-signal-safe.
#ifndef SANDBOX_CHILD_USER_LIMITS_H_
#define SANDBOX_CHILD_USER_LIMITS_H_

#include "child/plan.h"
#include "child/step_error.h"

namespace sandbox::child {

/// Writes each of plan.user_limits into /proc/sys/user of the calling process's user
/// namespace. Needs CAP_SYS_RESOURCE there (pid 1 right after its id maps) and the host's
/// /proc, so it runs before the mounts. Fails on the first limit that cannot be written.
StepError BoundUserLimits(const ChildPlan& plan) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_USER_LIMITS_H_

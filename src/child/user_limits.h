// The sandbox's own user namespace bounds what the job may take of the caller's per-user
// kernel objects (inotify instances and watches, fanotify groups and marks, namespaces).
// Child side, async-signal-safe.
#ifndef SANDBOX_CHILD_USER_LIMITS_H_
#define SANDBOX_CHILD_USER_LIMITS_H_

#include <cstddef>

#include "child/plan.h"
#include "child/step_error.h"

namespace sandbox::child {

/// Writes each of `limits` into the directory `sys_user` (a /proc/sys/user opened by the
/// caller). The files there are the writer's user namespace's, writable by its root (needs
/// CAP_SYS_RESOURCE there: pid 1 during setup). Fails on the first that cannot be written.
StepError WriteUserLimits(int sys_user, const ChildPlan::UserLimit* limits, size_t count) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_USER_LIMITS_H_

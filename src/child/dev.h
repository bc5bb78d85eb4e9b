// The minimal /dev: a tmpfs holding the host's harmless character devices bound in, a private
// devpts instance, /dev/shm and the usual links. Child side, async-signal-safe.
#ifndef SANDBOX_CHILD_DEV_H_
#define SANDBOX_CHILD_DEV_H_

#include "child/mounts.h"
#include "child/plan.h"
#include "child/step_error.h"

namespace sandbox::child {

/// Builds the /dev described above at step.target inside new_root, taking device nodes from
/// old_root/dev.
StepError ApplyDev(const RootFds& fds, const MountStep& step, Mounted* out) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_DEV_H_

// A Landlock ruleset for the job: a second fence, independent of the mount namespace, that
// allows exactly the paths the sandbox was built from. It matters for what the mount
// namespace cannot see, such as a host directory descriptor passed in with --pass-fd.
// Job side, async-signal-safe.
#ifndef SANDBOX_CHILD_LANDLOCK_H_
#define SANDBOX_CHILD_LANDLOCK_H_

#include "child/plan.h"
#include "child/step_error.h"

namespace sandbox::child {

/// Creates the ruleset from plan.landlock_rules and restricts the calling process. No-op when
/// plan.landlock_abi is 0. Must run after pivot_root (rules name paths in the new root).
StepError ApplyLandlock(const ChildPlan& plan) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_LANDLOCK_H_

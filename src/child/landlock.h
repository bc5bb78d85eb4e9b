// A Landlock ruleset for the job: a second fence, independent of the mount namespace, that
// allows exactly the paths the sandbox was built from. It matters for what the mount
// namespace cannot see, such as a host directory descriptor passed in with --pass-fd.
// A run's rules are added by pid 1 from the descriptors its mount steps leave (so nothing is
// looked up again by name, where a concurrent job sharing a checkout could swap a directory),
// and the job restricts itself with the finished ruleset. `sandbox enter` builds its ruleset
// from the plan's paths. Async-signal-safe.
#ifndef SANDBOX_CHILD_LANDLOCK_H_
#define SANDBOX_CHILD_LANDLOCK_H_

#include <cstdint>

#include "child/plan.h"
#include "child/step_error.h"

namespace sandbox::child {

/// A new ruleset handling what plan.landlock_abi can; *ruleset is -1 (and nothing fails) when
/// plan.landlock_abi is 0. The caller owns the descriptor.
StepError CreateLandlockRuleset(const ChildPlan& plan, int* ruleset) noexcept;

/// Allows `access` beneath the file or directory `fd` names (masked to the rights the ABI
/// handles, and to file rights when `fd` is not a directory). `what` names it in errors.
StepError AddLandlockRule(const ChildPlan& plan, int ruleset, int fd, uint64_t access,
                          const char* what) noexcept;

/// Restricts the calling process with `ruleset`, then closes it.
StepError RestrictWithRuleset(int ruleset) noexcept;

/// Tells the supervisor which object (device, inode) pid 1's rule for `what` names, so that
/// `sandbox enter` can hold its own rules to the same objects. Async-signal-safe; a lost record
/// only makes enter refuse.
void ReportLandlockObject(int sync_fd, int fd, const char* what) noexcept;

/// `sandbox enter`: the ruleset from plan.landlock_rules, opened by path in the run's root, and
/// the calling process restricted by it. No-op when plan.landlock_abi is 0.
StepError ApplyLandlock(const ChildPlan& plan) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_LANDLOCK_H_

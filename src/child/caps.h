// Dropping privilege for the job: every capability set emptied and securebits locked so that
// execve() as uid 0 inside regains nothing, then no_new_privs. Job side, async-signal-safe.
#ifndef SANDBOX_CHILD_CAPS_H_
#define SANDBOX_CHILD_CAPS_H_

#include <cstdint>

#include "child/step_error.h"

namespace sandbox::child {

/// Empties the bounding, ambient, inheritable, permitted and effective sets. last_capability
/// is /proc/sys/kernel/cap_last_cap as the supervisor read it.
StepError DropCapabilities(int last_capability) noexcept;

/// bubblewrap's rule: exactly `keep` in the effective, permitted and inheritable sets and,
/// raised as far as the kernel allows, the ambient set (so a job that is not uid 0 keeps them
/// across execve). With limit_bounding, every other capability leaves the bounding set.
/// Securebits are left alone.
StepError SetCapabilities(uint64_t keep, bool limit_bounding, int last_capability) noexcept;

/// Raises each capability of `keep` into the ambient set where the kernel allows it (EPERM
/// and EINVAL are not errors). Root's run keeps its capabilities this way in bwrap mode.
StepError RaiseAmbientCapabilities(uint64_t keep, int last_capability) noexcept;

/// Empties the effective and inheritable sets, and the permitted set but for `keep_permitted`
/// (a mask of capability numbers; pid 1 of bwrap mode keeps one, see StartJob...).
StepError ClearCapabilitySets(uint64_t keep_permitted = 0) noexcept;

StepError SetNoNewPrivs() noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_CAPS_H_

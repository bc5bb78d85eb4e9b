// Dropping privilege for the job: every capability set emptied and securebits locked so that
// execve() as uid 0 inside regains nothing, then no_new_privs. Job side, async-signal-safe.
#ifndef SANDBOX_CHILD_CAPS_H_
#define SANDBOX_CHILD_CAPS_H_

#include "child/step_error.h"

namespace sandbox::child {

/// Empties the bounding, ambient, inheritable, permitted and effective sets. last_capability
/// is /proc/sys/kernel/cap_last_cap as the supervisor read it.
StepError DropCapabilities(int last_capability) noexcept;

StepError SetNoNewPrivs() noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_CAPS_H_

// Closing what the caller left open: no descriptor of the supervisor's reaches pid 1 or the
// job except the ones named. Child side, async-signal-safe.
#ifndef SANDBOX_CHILD_FDS_H_
#define SANDBOX_CHILD_FDS_H_

#include <cstddef>

#include "child/step_error.h"

namespace sandbox::child {

/// Closes every descriptor above 2 except those in keep (sorted ascending, no duplicates).
StepError CloseDescriptorsExcept(const int* keep, size_t count) noexcept;

/// Clears FD_CLOEXEC on each descriptor so it survives execve.
StepError InheritDescriptors(const int* fds, size_t count) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_FDS_H_

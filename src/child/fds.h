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

/// Blocks until a byte or end of file arrives on `fd` (the go-ahead of a gate, a socket or a
/// caller's --block-fd). True for a byte; false for end of file or an error.
bool AwaitByte(int fd) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_FDS_H_

#include "child/fds.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "common/syscalls.h"

namespace sandbox::child {

StepError CloseDescriptorsExcept(const int* keep, size_t count) noexcept {
  unsigned first = 3;
  for (size_t i = 0; i < count; ++i) {
    unsigned k = static_cast<unsigned>(keep[i]);
    if (k < first) continue;
    if (k > first && sys::CloseRange(first, k - 1, 0) < 0) {
      return StepFailed(SetupStep::kCloseInheritedFds, errno);
    }
    first = k + 1;
  }
  if (sys::CloseRange(first, UINT_MAX, 0) < 0) {
    return StepFailed(SetupStep::kCloseInheritedFds, errno);
  }
  return StepOk();
}

StepError InheritDescriptors(const int* fds, size_t count) noexcept {
  for (size_t i = 0; i < count; ++i) {
    int flags = ::fcntl(fds[i], F_GETFD);
    if (flags < 0 || ::fcntl(fds[i], F_SETFD, flags & ~FD_CLOEXEC) < 0) {
      return StepFailed(SetupStep::kCloseInheritedFds, errno, nullptr, "--pass-fd");
    }
  }
  return StepOk();
}

bool AwaitByte(int fd) noexcept {
  char byte;
  for (;;) {
    ssize_t n = ::read(fd, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    return n == 1;
  }
}

}  // namespace sandbox::child

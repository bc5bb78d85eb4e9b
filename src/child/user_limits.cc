#include "child/user_limits.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/raw_log.h"

namespace sandbox::child {

// ucounts are charged to every user namespace from the job's up to the initial one, and each
// level refuses once its own max_* is reached (kernel/ucount.c, inc_ucount). A new namespace
// starts at INT_MAX, so without these writes only the caller's namespace limit applies, and
// the job can take all of it from the caller's other processes. Which namespace a file of
// /proc/sys/user belongs to is decided by the opener's (set_lookup in kernel/ucount.c), not by
// the proc mount, and its root may write it (set_permissions).
StepError WriteUserLimits(int sys_user, const ChildPlan::UserLimit* limits, size_t count) noexcept {
  for (size_t i = 0; i < count; ++i) {
    int fd = ::openat(sys_user, limits[i].name, O_WRONLY | O_CLOEXEC);
    size_t length = RawLength(limits[i].value);
    bool ok = fd >= 0 && ::write(fd, limits[i].value, length) == static_cast<ssize_t>(length);
    int err = errno;
    if (fd >= 0) ::close(fd);
    if (!ok) return StepFailed(SetupStep::kBoundUserLimits, err, limits[i].name);
  }
  return StepOk();
}

}  // namespace sandbox::child

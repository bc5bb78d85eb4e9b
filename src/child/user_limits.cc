#include "child/user_limits.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/raw_log.h"

namespace sandbox::child {

// ucounts are charged to every user namespace from the job's up to the initial one, and each
// level refuses once its own max_* is reached (kernel/ucount.c, inc_ucount). A new namespace
// starts at INT_MAX, so without these writes only the caller's namespace limit applies, and
// the job can take all of it from the caller's other processes. The files of /proc/sys/user
// are the opener's namespace's, writable by its root (set_permissions in kernel/ucount.c).
StepError BoundUserLimits(const ChildPlan& plan) noexcept {
  int dir = ::open("/proc/sys/user", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return StepFailed(SetupStep::kBoundUserLimits, errno, "/proc/sys/user");
  StepError e = StepOk();
  for (const ChildPlan::UserLimit& limit : plan.user_limits) {
    int fd = ::openat(dir, limit.name, O_WRONLY | O_CLOEXEC);
    size_t length = RawLength(limit.value);
    bool ok = fd >= 0 && ::write(fd, limit.value, length) == static_cast<ssize_t>(length);
    int err = errno;
    if (fd >= 0) ::close(fd);
    if (!ok) {
      e = StepFailed(SetupStep::kBoundUserLimits, err, limit.name);
      break;
    }
  }
  ::close(dir);
  return e;
}

}  // namespace sandbox::child

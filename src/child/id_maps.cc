#include "child/id_maps.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sandbox::child {
namespace {

StepError WriteProcSelf(const char* path, const char* text) noexcept {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return StepFailed(SetupStep::kWriteIdMaps, errno, path);
  size_t size = std::strlen(text);
  ssize_t n = ::write(fd, text, size);
  int err = n < 0 ? errno : EIO;
  ::close(fd);
  if (n != static_cast<ssize_t>(size)) return StepFailed(SetupStep::kWriteIdMaps, err, path);
  return StepOk();
}

}  // namespace

// The creator of a user namespace holds every capability in it and may map its own outer ids
// with one line each (user_namespaces(7)). "deny" must precede gid_map for such a writer; it
// also keeps the job from dropping supplementary groups the caller holds to get past
// group-deny permissions. /proc here is still the caller's: /proc/self is this process as
// the caller's pid namespace sees it.
StepError WriteOwnIdMaps(const ChildPlan& plan) noexcept {
  StepError e = WriteProcSelf("/proc/self/setgroups", "deny");
  if (!e.failed()) e = WriteProcSelf("/proc/self/uid_map", plan.uid_map);
  if (!e.failed()) e = WriteProcSelf("/proc/self/gid_map", plan.gid_map);
  return e;
}

}  // namespace sandbox::child

#include "child/userns.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>

#include "common/raw_log.h"
#include "common/syscalls.h"

namespace sandbox::child {
namespace {

bool WriteProcFile(int proc_fd, const char* name, const char* text, size_t length) noexcept {
  int fd = ::openat(proc_fd, name, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text, length) == static_cast<ssize_t>(length);
  int err = errno;
  ::close(fd);
  errno = err;
  return ok;
}

bool WriteMap(int proc_fd, const char* name, unsigned inner, unsigned outer) noexcept {
  char text[64];
  RawBuffer map(text, sizeof(text));
  map.AppendInt(inner).Append(" ").AppendInt(outer).Append(" 1\n");
  return WriteProcFile(proc_fd, name, map.c_str(), RawLength(map.c_str()));
}

}  // namespace

StepError NestUserNamespace(const ChildPlan& plan, int proc_fd) noexcept {
  // The count of user namespaces is checked against every ancestor's limit: 1 here lets this
  // process make its one nested namespace and nobody below make another (user_namespaces(7)).
  if (plan.disable_userns && !WriteProcFile(proc_fd, "sys/user/max_user_namespaces", "1", 1)) {
    return StepFailed(SetupStep::kNestUserNamespace, errno, "/proc/sys/user/max_user_namespaces");
  }
  if (::unshare(CLONE_NEWUSER) < 0) return StepFailed(SetupStep::kNestUserNamespace, errno);
  // One id each, our own in the parent namespace: what an unprivileged writer may map. The
  // first namespace already denies setgroups, which the new one inherits (a gid_map
  // condition for such a writer).
  (void)WriteProcFile(proc_fd, "self/setgroups", "deny", 4);
  if (!WriteMap(proc_fd, "self/uid_map", plan.nest_uid, plan.nest_outer_uid)) {
    return StepFailed(SetupStep::kNestUserNamespace, errno, "uid_map");
  }
  if (!WriteMap(proc_fd, "self/gid_map", plan.nest_gid, plan.nest_outer_gid)) {
    return StepFailed(SetupStep::kNestUserNamespace, errno, "gid_map");
  }
  return StepOk();
}

StepError SwitchToRequestedIds(const ChildPlan& plan) noexcept {
  bool uid = plan.switch_uid != static_cast<uid_t>(-1);
  bool gid = plan.switch_gid != static_cast<gid_t>(-1);
  if (!uid && !gid) return StepOk();
  int dumpable = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  // Static: the record quotes the id after this frame is gone (pid 1 fails once).
  static char text[24];
  RawBuffer id(text, sizeof(text));
  // Setuid first, as bubblewrap does. From uid 0 inside to another id, that clears every
  // capability (capabilities(7), "Effect of user ID changes on capabilities"), and the setgid
  // or the mounts after it fail as they do under bubblewrap.
  if (uid && sys::SetUid(plan.switch_uid) < 0) {
    id.AppendInt(plan.switch_uid);
    return StepFailed(SetupStep::kSwitchUid, errno, text);
  }
  if (gid && sys::SetGid(plan.switch_gid) < 0) {
    id.AppendInt(plan.switch_gid);
    return StepFailed(SetupStep::kSwitchGid, errno, text);
  }
  // A change of effective ids clears the parent-death signal and resets "dumpable"
  // (prctl(2)); pid 1 must still die with the supervisor, and stay as readable as it was.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (dumpable >= 0) ::prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
  return StepOk();
}

StepError CheckUserNamespacesDisabled() noexcept {
  if (::unshare(CLONE_NEWUSER) < 0) return StepOk();
  return StepFailed(SetupStep::kCheckUserNamespacesDisabled, 0, nullptr,
                    "creation of new user namespaces was not disabled as requested");
}

}  // namespace sandbox::child

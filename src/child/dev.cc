#include "child/dev.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "child/mounts.h"
#include "child/paths.h"
#include "common/syscalls.h"

namespace sandbox::child {
namespace {

constexpr unsigned kMoveFdToFd = MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH;

struct DeviceNode {
  const char* name;
  bool required;  // /dev/tty is absent in some containers
};
constexpr DeviceNode kDeviceNodes[] = {
    {"null", true},   {"zero", true},    {"full", true},
    {"random", true}, {"urandom", true}, {"tty", false},
};

struct DevLink {
  const char* name;
  const char* text;
};
constexpr DevLink kDevLinks[] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"},      {"ptmx", "pts/ptmx"},
};

StepError Fail(int error, const char* what) noexcept {
  return StepFailed(SetupStep::kMountDev, error, what);
}

// Binds one host device node onto an empty file in the new /dev. The bind keeps the node
// usable (the host's /dev mount is not nodev) while the tmpfs around it stays nodev. Five
// system calls a node: the /dev tmpfs is the child's own and nothing else writes into it yet,
// so its names need no re-check; the host's /dev is root's.
StepError BindDevice(int old_root, int dev_fd, const DeviceNode& node) noexcept {
  char host_path[32] = "dev/";
  int i = 4;
  for (const char* p = node.name; *p != '\0'; ++p) host_path[i++] = *p;
  host_path[i] = '\0';
  int tree =
      sys::OpenTree(old_root, host_path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
  if (tree < 0) return node.required ? Fail(errno, node.name) : StepOk();
  int result = ::mknodat(dev_fd, node.name, S_IFREG | 0666, 0);
  if (result == 0) {
    result = sys::MountSetattr(tree, "", AT_EMPTY_PATH, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0);
  }
  if (result == 0) result = sys::MoveMount(tree, "", dev_fd, node.name, MOVE_MOUNT_F_EMPTY_PATH);
  int err = errno;
  ::close(tree);
  return result < 0 ? Fail(err, node.name) : StepOk();
}

StepError MountDevpts(int dev_fd) noexcept {
  if (::mkdirat(dev_fd, "pts", 0755) < 0) return Fail(errno, "pts");
  // newinstance: the job's ptys are its own, not the host's (devpts in a user namespace is
  // always a new instance, but say so).
  int fs = sys::FsOpen("devpts", FSOPEN_CLOEXEC);
  if (fs < 0) return Fail(errno, "pts");
  int mnt = -1;
  if (sys::FsConfig(fs, FSCONFIG_SET_FLAG, "newinstance", nullptr, 0) == 0 &&
      sys::FsConfig(fs, FSCONFIG_SET_STRING, "ptmxmode", "0666", 0) == 0 &&
      sys::FsConfig(fs, FSCONFIG_SET_STRING, "mode", "0620", 0) == 0 &&
      sys::FsConfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0) {
    mnt = sys::FsMount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
  }
  int err = errno;
  ::close(fs);
  if (mnt < 0) return Fail(err, "pts");
  int target = ::openat(dev_fd, "pts", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
  int result = target < 0 ? -1 : sys::MoveMount(mnt, "", target, "", kMoveFdToFd);
  err = errno;
  if (target >= 0) ::close(target);
  ::close(mnt);
  return result < 0 ? Fail(err, "pts") : StepOk();
}

// /dev/shm, where POSIX shared memory lives: a tmpfs of its own, bounded by step.size_text, so
// the /dev tmpfs around it can become read-only once the sandbox is built. Without a bound
// (bwrap mode) a directory of the /dev tmpfs, as bubblewrap makes it.
StepError MakeShm(const MountStep& step, int dev, Mounted* out) noexcept {
  if (::mkdirat(dev, "shm", 01777) < 0) return Fail(errno, "shm");
  if (step.size_text == nullptr) {
    return ::fchmodat(dev, "shm", 01777, 0) < 0 ? Fail(errno, "shm") : StepOk();
  }
  int shm = -1;
  StepError e = MountFreshFs("tmpfs", "1777", step.size_text, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                             SetupStep::kMountDev, "shm", &shm);
  if (e.failed()) return e;
  if (sys::MoveMount(shm, "", dev, "shm", MOVE_MOUNT_F_EMPTY_PATH) < 0) {
    int err = errno;
    ::close(shm);
    return Fail(err, "shm");
  }
  out->shm_fd = shm;
  return StepOk();
}

}  // namespace

StepError ApplyDev(const RootFds& fds, const MountStep& step, Mounted* out) noexcept {
  int target = -1;
  StepError e = OpenInRoot(fds.new_root, step.target, LeafKind::kDirectory, 0755,
                           SetupStep::kCreateMountPoint, &target);
  if (e.failed()) return e;
  int dev = -1;
  e = MountFreshFs("tmpfs", "0755", fds.own_size_text, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC,
                   SetupStep::kMountDev, step.target, &dev);
  if (e.failed()) {
    ::close(target);
    return e;
  }
  int moved = sys::MoveMount(dev, "", target, "", kMoveFdToFd);
  int err = errno;
  ::close(target);
  if (moved < 0) {
    ::close(dev);
    return Fail(err, step.target);
  }
  (void)TrustSymlinksOn(dev);  // fd, stdin, ptmx...: the sandbox's own links
  for (const DeviceNode& node : kDeviceNodes) {
    e = BindDevice(fds.old_root, dev, node);
    if (e.failed()) break;
  }
  if (!e.failed()) e = MountDevpts(dev);
  if (!e.failed()) e = MakeShm(step, dev, out);
  for (const DevLink& link : kDevLinks) {
    if (e.failed()) break;
    if (::symlinkat(link.text, dev, link.name) < 0) e = Fail(errno, link.name);
  }
  if (e.failed()) {
    ::close(dev);
    return e;
  }
  out->fd = dev;
  return StepOk();
}

}  // namespace sandbox::child

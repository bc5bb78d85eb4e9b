#include "child/mounts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "child/dev.h"
#include "child/paths.h"
#include "common/raw_log.h"
#include "common/syscalls.h"

namespace sandbox::child {
namespace {

// Where the staging tmpfs goes before the first pivot. bubblewrap uses /tmp too: it exists on
// every host, and once pivoted the host's own /tmp is visible again under /oldroot.
constexpr const char* kStagingMountPoint = "/tmp";

class Fd {
 public:
  explicit Fd(int fd = -1) noexcept : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const noexcept { return fd_; }
  int* out() noexcept { return &fd_; }

 private:
  int fd_;
};

StepError WithOp(StepError e, const MountStep& step) noexcept {
  e.op_index = step.op_index;
  return e;
}

// Opens a bind source below the old root. The policy canonicalised the path, so any symlink
// met now was swapped in after that check: refuse it rather than follow it.
int OpenSource(int old_root, const char* source) noexcept {
  for (;;) {
    int fd = sys::OpenAt2(old_root, source[0] == '\0' ? "." : source, O_PATH | O_CLOEXEC,
                          RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    if (fd < 0 && errno == EAGAIN) continue;
    return fd;
  }
}

StepError ApplyBind(const RootFds& fds, const MountStep& step) noexcept {
  Fd source(OpenSource(fds.old_root, step.source));
  if (source.get() < 0) {
    if (step.optional && (errno == ENOENT || errno == ENOTDIR)) return StepOk();
    return StepFailed(SetupStep::kBindMount, errno, step.target,
                      errno == ELOOP ? "the source became a symlink after it was checked"
                                     : "cannot open the source");
  }
  struct stat st;
  if (::fstat(source.get(), &st) < 0) return StepFailed(SetupStep::kBindMount, errno, step.target);

  // Clone the whole tree under the source (AT_RECURSIVE: binds are recursive) as a detached
  // mount, restrict it, then attach it; the job never sees an unrestricted moment.
  Fd tree(sys::OpenTree(source.get(), "",
                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH));
  if (tree.get() < 0) return StepFailed(SetupStep::kBindMount, errno, step.target);
  uint64_t attrs = MOUNT_ATTR_NOSUID;
  if (step.kind != MountKind::kDevBind) attrs |= MOUNT_ATTR_NODEV;
  if (step.kind == MountKind::kReadOnlyBind) attrs |= MOUNT_ATTR_RDONLY;
  // Only ever *sets* flags, so flags the host locked (nosuid, noexec, ...) stay as they were.
  if (sys::MountSetattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, attrs, 0) < 0) {
    return StepFailed(SetupStep::kBindMount, errno, step.target, "cannot restrict the bind");
  }

  Fd target;
  LeafKind leaf = S_ISDIR(st.st_mode) ? LeafKind::kDirectory : LeafKind::kFile;
  // A file made only to be mounted over is read-only (0444), as bubblewrap makes it: if the
  // mount ever went away, nothing could have been written into the placeholder.
  StepError e = OpenInRoot(fds.new_root, step.target, leaf, S_ISDIR(st.st_mode) ? 0755 : 0444,
                           SetupStep::kCreateMountPoint, target.out());
  if (e.failed()) return e;
  if (sys::MoveMount(tree.get(), "", target.get(), "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    return StepFailed(SetupStep::kBindMount, errno, step.target);
  }
  return StepOk();
}

// Mounts a fresh filesystem of `type` on step.target (created as a directory with `dir_mode`)
// and leaves the attached mount's descriptor in *mnt.
StepError MountFreshAt(const RootFds& fds, const MountStep& step, const char* type,
                       unsigned dir_mode, unsigned attrs, SetupStep step_id, Fd* mnt) noexcept {
  Fd target;
  StepError e = OpenInRoot(fds.new_root, step.target, LeafKind::kDirectory, dir_mode,
                           SetupStep::kCreateMountPoint, target.out());
  if (e.failed()) return e;
  e = MountFreshFs(type, step.mode_text, step.size_text, attrs, step_id, step.target, mnt->out());
  if (e.failed()) return e;
  if (sys::MoveMount(mnt->get(), "", target.get(), "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    return StepFailed(step_id, errno, step.target);
  }
  return StepOk();
}

StepError ApplyTmpfs(const RootFds& fds, const MountStep& step) noexcept {
  Fd mnt;
  return MountFreshAt(fds, step, "tmpfs", 0755, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                      SetupStep::kMountTmpfs, &mnt);
}

// A fresh proc, with the parts that act on the whole machine (sysctls, sysrq, irq affinity,
// bus) bound read-only over themselves, as bubblewrap does.
StepError ApplyProc(const RootFds& fds, const MountStep& step) noexcept {
  Fd mnt;
  StepError e = MountFreshAt(fds, step, "proc", 0555,
                             MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                             SetupStep::kMountProc, &mnt);
  if (e.failed()) return e;
  for (const char* name : {"sys", "sysrq-trigger", "irq", "bus"}) {
    Fd sub(sys::OpenAt2(mnt.get(), name, O_PATH | O_CLOEXEC,
                        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV));
    if (sub.get() < 0) {
      if (errno == ENOENT) continue;  // irq and bus are absent on some kernels
      return StepFailed(SetupStep::kMountProc, errno, name, "cannot open");
    }
    Fd ro(sys::OpenTree(sub.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
    if (ro.get() < 0 ||
        sys::MountSetattr(
            ro.get(), "", AT_EMPTY_PATH,
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0) < 0 ||
        sys::MoveMount(ro.get(), "", sub.get(), "",
                       MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
      return StepFailed(SetupStep::kMountProc, errno, name, "cannot make it read-only");
    }
  }
  return StepOk();
}

StepError ApplyDir(const RootFds& fds, const MountStep& step) noexcept {
  Fd dir;
  return OpenInRoot(fds.new_root, step.target, LeafKind::kDirectory, step.mode,
                    SetupStep::kMakeDirectory, dir.out());
}

// Idempotent like bubblewrap's: an existing link with the same text is accepted.
StepError ApplySymlink(const RootFds& fds, const MountStep& step) noexcept {
  Fd parent;
  const char* name = nullptr;
  StepError e =
      OpenParentInRoot(fds.new_root, step.target, SetupStep::kMakeSymlink, parent.out(), &name);
  if (e.failed()) return e;
  if (::symlinkat(step.source, parent.get(), name) == 0) return StepOk();
  int err = errno;
  if (err == EEXIST) {
    char existing[4096];
    ssize_t n = ::readlinkat(parent.get(), name, existing, sizeof(existing) - 1);
    if (n >= 0) {
      existing[n] = '\0';
      size_t want = RawLength(step.source);
      bool same = static_cast<size_t>(n) == want;
      for (size_t i = 0; same && i < want; ++i) same = existing[i] == step.source[i];
      if (same) return StepOk();
    }
  }
  return StepFailed(SetupStep::kMakeSymlink, err, step.target);
}

StepError ApplyFile(const RootFds& fds, const MountStep& step) noexcept {
  Fd parent;
  const char* name = nullptr;
  StepError e =
      OpenParentInRoot(fds.new_root, step.target, SetupStep::kWriteFile, parent.out(), &name);
  if (e.failed()) return e;
  Fd file(::openat(parent.get(), name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                   step.mode));
  if (file.get() < 0) return StepFailed(SetupStep::kWriteFile, errno, step.target);
  size_t done = 0;
  while (done < step.content_size) {
    ssize_t n = ::write(file.get(), step.content + done, step.content_size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return StepFailed(SetupStep::kWriteFile, errno, step.target);
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(file.get(), step.mode) < 0)
    return StepFailed(SetupStep::kWriteFile, errno, step.target);
  return StepOk();
}

// Directories get an empty read-only tmpfs; files get the host's /dev/null bound read-only and
// nodev, which makes opening them fail with EACCES.
StepError ApplyMask(const RootFds& fds, const MountStep& step) noexcept {
  Fd target;
  StepError e = OpenInRoot(fds.new_root, step.target, LeafKind::kExisting, 0, SetupStep::kMaskPath,
                           target.out());
  if (e.failed()) {
    if (step.optional && e.error == ENOENT) return StepOk();
    return e;
  }
  struct stat st;
  if (::fstat(target.get(), &st) < 0) return StepFailed(SetupStep::kMaskPath, errno, step.target);
  Fd mnt;
  if (S_ISDIR(st.st_mode)) {
    e = MountFreshFs("tmpfs", "0000", "0",
                     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                     SetupStep::kMaskPath, step.target, mnt.out());
    if (e.failed()) return e;
  } else {
    Fd null(OpenSource(fds.old_root, "dev/null"));
    if (null.get() < 0) return StepFailed(SetupStep::kMaskPath, errno, step.target, "/dev/null");
    *mnt.out() = sys::OpenTree(null.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    if (mnt.get() < 0 ||
        sys::MountSetattr(
            mnt.get(), "", AT_EMPTY_PATH,
            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0) < 0) {
      return StepFailed(SetupStep::kMaskPath, errno, step.target);
    }
  }
  if (sys::MoveMount(mnt.get(), "", target.get(), "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    return StepFailed(SetupStep::kMaskPath, errno, step.target);
  }
  return StepOk();
}

StepError ApplyRemountReadOnly(const RootFds& fds, const MountStep& step) noexcept {
  Fd target;
  StepError e = OpenInRoot(fds.new_root, step.target, LeafKind::kExisting, 0,
                           SetupStep::kRemountReadOnly, target.out());
  if (e.failed()) return e;
  // mount_setattr(2) acts on the mount whose root `target` is; EINVAL means it is not one.
  if (sys::MountSetattr(target.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0) < 0) {
    return StepFailed(SetupStep::kRemountReadOnly, errno, step.target,
                      errno == EINVAL ? "not a mount point" : nullptr);
  }
  return StepOk();
}

}  // namespace

StepError MountFreshFs(const char* type, const char* mode_text, const char* size_text,
                       unsigned attrs, SetupStep step, const char* path, int* out_fd) noexcept {
  Fd fs(sys::FsOpen(type, FSOPEN_CLOEXEC));
  if (fs.get() < 0) return StepFailed(step, errno, path);
  if (mode_text != nullptr &&
      sys::FsConfig(fs.get(), FSCONFIG_SET_STRING, "mode", mode_text, 0) < 0) {
    return StepFailed(step, errno, path, "mode");
  }
  if (size_text != nullptr &&
      sys::FsConfig(fs.get(), FSCONFIG_SET_STRING, "size", size_text, 0) < 0) {
    return StepFailed(step, errno, path, "size");
  }
  if (sys::FsConfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) {
    return StepFailed(step, errno, path);
  }
  int mnt = sys::FsMount(fs.get(), FSMOUNT_CLOEXEC, attrs);
  if (mnt < 0) return StepFailed(step, errno, path);
  *out_fd = mnt;
  return StepOk();
}

StepError PrepareStagingRoot(RootFds* fds) noexcept {
  // Private, not slave: nothing the sandbox mounts may propagate to the host, and host mounts
  // appearing later must not show up inside either (mount_namespaces(7)).
  if (sys::Mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
    return StepFailed(SetupStep::kMakeRootPrivate, errno, "/");
  }
  if (sys::Mount("tmpfs", kStagingMountPoint, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
    return StepFailed(SetupStep::kMountStagingRoot, errno, kStagingMountPoint);
  }
  if (::chdir(kStagingMountPoint) < 0 || ::mkdir("oldroot", 0755) < 0 ||
      ::mkdir("newroot", 0755) < 0) {
    return StepFailed(SetupStep::kMountStagingRoot, errno, kStagingMountPoint);
  }
  // pivot_root(2): the host's root moves to /oldroot, where bind sources are opened from.
  if (sys::PivotRoot(".", "oldroot") < 0 || ::chdir("/") < 0) {
    return StepFailed(SetupStep::kPivotRoot, errno, kStagingMountPoint);
  }
  // The new root is a mount of its own so the final pivot_root can use it.
  if (sys::Mount("tmpfs", "/newroot", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
    return StepFailed(SetupStep::kMountStagingRoot, errno, "/newroot");
  }
  fds->old_root = ::open("/oldroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
  fds->new_root = ::open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fds->old_root < 0 || fds->new_root < 0) {
    return StepFailed(SetupStep::kMountStagingRoot, errno, "/newroot");
  }
  return StepOk();
}

StepError ApplyMountStep(const RootFds& fds, const MountStep& step) noexcept {
  StepError e;
  switch (step.kind) {
    case MountKind::kBind:
    case MountKind::kReadOnlyBind:
    case MountKind::kDevBind:
      e = ApplyBind(fds, step);
      break;
    case MountKind::kTmpfs:
      e = ApplyTmpfs(fds, step);
      break;
    case MountKind::kProc:
      e = ApplyProc(fds, step);
      break;
    case MountKind::kDev:
      e = ApplyDev(fds.old_root, fds.new_root, step);
      break;
    case MountKind::kDir:
      e = ApplyDir(fds, step);
      break;
    case MountKind::kSymlink:
      e = ApplySymlink(fds, step);
      break;
    case MountKind::kFile:
      e = ApplyFile(fds, step);
      break;
    case MountKind::kMask:
      e = ApplyMask(fds, step);
      break;
    case MountKind::kRemountReadOnly:
      e = ApplyRemountReadOnly(fds, step);
      break;
  }
  return WithOp(e, step);
}

StepError RefreshNewRoot(RootFds* fds) noexcept {
  int fd = ::open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return StepFailed(SetupStep::kMountStagingRoot, errno, "/newroot");
  ::close(fds->new_root);
  fds->new_root = fd;
  return StepOk();
}

StepError EnterNewRoot(RootFds* fds) noexcept {
  ::close(fds->old_root);
  fds->old_root = -1;
  // pivot_root(".", "."): the old root ends up stacked on top of the new one and is then
  // detached with everything below it, host tree included (pivot_root(2), NOTES).
  if (::fchdir(fds->new_root) < 0 || sys::PivotRoot(".", ".") < 0 ||
      sys::Umount2(".", MNT_DETACH) < 0 || ::chdir("/") < 0) {
    return StepFailed(SetupStep::kPivotRoot, errno, "/");
  }
  ::close(fds->new_root);
  fds->new_root = -1;
  return StepOk();
}

}  // namespace sandbox::child

#include "child/mounts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

#include "child/dev.h"
#include "child/paths.h"
#include "child/user_limits.h"
#include "common/raw_log.h"
#include "common/record.h"
#include "common/syscalls.h"
#include "common/write_all.h"

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
  int release() noexcept {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

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

// bwrap --bind-fd: the source was the descriptor's path when the supervisor read it, and
// something may have been renamed onto that path since. The mount just attached (`mounted`,
// the detached tree's descriptor, which now names the mount's root) must be the descriptor's
// own file. The descriptor itself cannot be mounted: open_tree(2) refuses (EINVAL) a mount of
// another mount namespace, and the caller's descriptor belongs to the caller's.
StepError CheckBindSource(int mounted, const MountStep& step) noexcept {
  struct stat want;
  struct stat got;
  if (::fstat(step.source_fd, &want) < 0) {
    return StepFailed(SetupStep::kBindMount, errno, step.target, "cannot stat the descriptor");
  }
  if (::fstat(mounted, &got) < 0) {
    return StepFailed(SetupStep::kBindMount, errno, step.target, "cannot stat the mount");
  }
  if (want.st_dev != got.st_dev || want.st_ino != got.st_ino) {
    return StepFailed(SetupStep::kCheckBindSource, 0, step.target,
                      "the mount is not the descriptor's file: its path names another now");
  }
  return StepOk();
}

StepError ApplyBind(const RootFds& fds, const MountStep& step, Mounted* out) noexcept {
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
                           SetupStep::kCreateMountPoint, target.out(), step.parent_mode);
  if (e.failed()) return e;
  if (sys::MoveMount(tree.get(), "", target.get(), "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    return StepFailed(SetupStep::kBindMount, errno, step.target);
  }
  if (step.source_fd >= 0) {
    e = CheckBindSource(tree.get(), step);
    if (e.failed()) return e;
  }
  out->fd = tree.release();  // now the attached bind's root
  return StepOk();
}

// Mounts a fresh filesystem of `type` on step.target (created as a directory with `dir_mode`)
// and leaves the attached mount's descriptor in *mnt.
StepError MountFreshAt(const RootFds& fds, const MountStep& step, const char* type,
                       unsigned dir_mode, unsigned attrs, SetupStep step_id, Fd* mnt) noexcept {
  Fd target;
  StepError e = OpenInRoot(fds.new_root, step.target, LeafKind::kDirectory, dir_mode,
                           SetupStep::kCreateMountPoint, target.out(), step.parent_mode);
  if (e.failed()) return e;
  e = MountFreshFs(type, step.mode_text, step.size_text, attrs, step_id, step.target, mnt->out());
  if (e.failed()) return e;
  if (sys::MoveMount(mnt->get(), "", target.get(), "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    return StepFailed(step_id, errno, step.target);
  }
  return StepOk();
}

StepError ApplyTmpfs(const RootFds& fds, const MountStep& step, Mounted* out) noexcept {
  Fd mnt;
  StepError e = MountFreshAt(fds, step, "tmpfs", 0755, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                             SetupStep::kMountTmpfs, &mnt);
  if (e.failed()) return e;
  (void)TrustSymlinksOn(mnt.get());  // empty: links on it are the sandbox's
  out->fd = mnt.release();
  return StepOk();
}

// Binds the detached clone of `tree` over `at`, read-only, recursively (so mounts below, such
// as binfmt_misc under the host's /proc/sys, are covered too and none is left locked alone).
int BindReadOnlyOverItself(int at) noexcept {
  Fd ro(sys::OpenTree(at, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE));
  if (ro.get() < 0 ||
      sys::MountSetattr(ro.get(), "", AT_EMPTY_PATH | AT_RECURSIVE,
                        MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 0) < 0) {
    return -1;
  }
  return sys::MoveMount(ro.get(), "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

// Without a pid namespace of its own the sandbox may not mount a fresh proc (its pid namespace
// belongs to the host): bind the host's, as bubblewrap does.
StepError MountHostProc(const RootFds& fds, const MountStep& step, Fd* mnt) noexcept {
  Fd source(OpenSource(fds.old_root, "proc"));
  if (source.get() < 0) return StepFailed(SetupStep::kMountProc, errno, step.target, "/proc");
  Fd tree(sys::OpenTree(source.get(), "",
                        OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH));
  if (tree.get() < 0 ||
      sys::MountSetattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE,
                        MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0) < 0) {
    return StepFailed(SetupStep::kMountProc, errno, step.target);
  }
  Fd target;
  StepError e = OpenInRoot(fds.new_root, step.target, LeafKind::kDirectory, 0555,
                           SetupStep::kCreateMountPoint, target.out(), step.parent_mode);
  if (e.failed()) return e;
  if (sys::MoveMount(tree.get(), "", target.get(), "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    return StepFailed(SetupStep::kMountProc, errno, step.target);
  }
  *mnt->out() = ::dup(tree.get());  // the attached tree, for the read-only covers
  if (mnt->get() < 0) return StepFailed(SetupStep::kMountProc, errno, step.target);
  return StepOk();
}

// A fresh proc, with the parts that act on the whole machine (sysctls, sysrq, irq affinity,
// bus) bound read-only over themselves, as bubblewrap does.
StepError ApplyProc(const RootFds& fds, const MountStep& step, Mounted* out) noexcept {
  Fd mnt;
  StepError e = step.host_proc
                    ? MountHostProc(fds, step, &mnt)
                    : MountFreshAt(fds, step, "proc", 0555,
                                   MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                                   SetupStep::kMountProc, &mnt);
  if (e.failed()) return e;
  // A fresh proc's sys is writable even where the host's is a read-only bind (container
  // runtimes make it one): the job's per-user limits go through it before it is covered.
  if (!step.host_proc && fds.user_limit_count > 0) {
    Fd sys_user(sys::OpenAt2(mnt.get(), "sys/user", O_PATH | O_DIRECTORY | O_CLOEXEC,
                             RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV));
    if (sys_user.get() < 0) return StepFailed(SetupStep::kBoundUserLimits, errno, "sys/user");
    e = WriteUserLimits(sys_user.get(), fds.user_limits, fds.user_limit_count);
    if (e.failed()) return e;
    out->wrote_user_limits = true;
  }
  for (const char* name : {"sys", "sysrq-trigger", "irq", "bus"}) {
    Fd sub(sys::OpenAt2(mnt.get(), name, O_PATH | O_CLOEXEC,
                        RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV));
    if (sub.get() < 0) {
      if (errno == ENOENT) continue;  // irq and bus are absent on some kernels
      return StepFailed(SetupStep::kMountProc, errno, name, "cannot open");
    }
    if (BindReadOnlyOverItself(sub.get()) < 0) {
      return StepFailed(SetupStep::kMountProc, errno, name, "cannot make it read-only");
    }
  }
  out->fd = mnt.release();
  return StepOk();
}

StepError ApplyDir(const RootFds& fds, const MountStep& step, Mounted* out) noexcept {
  return OpenInRoot(fds.new_root, step.target, LeafKind::kDirectory, step.mode,
                    SetupStep::kMakeDirectory, &out->fd, step.parent_mode);
}

// Idempotent like bubblewrap's: an existing link with the same text is accepted.
StepError ApplySymlink(const RootFds& fds, const MountStep& step) noexcept {
  Fd parent;
  const char* name = nullptr;
  StepError e = OpenParentInRoot(fds.new_root, step.target, SetupStep::kMakeSymlink, parent.out(),
                                 &name, step.parent_mode);
  if (e.failed()) return e;
  if (::symlinkat(step.source, parent.get(), name) == 0) return StepOk();
  int err = errno;
  if (err == EEXIST) {
    // Static: the message quotes it after this frame is gone (the child is single-threaded
    // and fails once).
    static char detail[kRecordDetailSize];
    char existing[4096];
    ssize_t n = ::readlinkat(parent.get(), name, existing, sizeof(existing) - 1);
    if (n < 0) {
      return StepFailed(SetupStep::kMakeSymlink, err, step.target,
                        errno == EINVAL ? "destination exists and is not a symlink" : nullptr);
    }
    existing[n] = '\0';
    size_t want = RawLength(step.source);
    bool same = static_cast<size_t>(n) == want;
    for (size_t i = 0; same && i < want; ++i) same = existing[i] == step.source[i];
    if (same) return StepOk();
    RawBuffer text(detail, sizeof(detail));
    text.Append("existing destination is ").Append(existing);
    return StepFailed(SetupStep::kMakeSymlink, err, step.target, detail);
  }
  return StepFailed(SetupStep::kMakeSymlink, err, step.target);
}

StepError ApplyFile(const RootFds& fds, const MountStep& step, Mounted* out) noexcept {
  Fd parent;
  const char* name = nullptr;
  StepError e = OpenParentInRoot(fds.new_root, step.target, SetupStep::kWriteFile, parent.out(),
                                 &name, step.parent_mode);
  if (e.failed()) return e;
  Fd file(::openat(parent.get(), name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                   step.mode));
  if (file.get() < 0 || !WriteAll(file.get(), std::string_view(step.content, step.content_size)))
    return StepFailed(SetupStep::kWriteFile, errno, step.target);
  if (::fchmod(file.get(), step.mode) < 0)
    return StepFailed(SetupStep::kWriteFile, errno, step.target);
  out->fd = file.release();
  return StepOk();
}

// Directories get an empty read-only tmpfs; files get the host's /dev/null bound read-only and
// nodev, which makes opening them fail with EACCES.
StepError ApplyMask(const RootFds& fds, const MountStep& step) noexcept {
  Fd target;
  StepError e = OpenInRoot(fds.new_root, step.target, LeafKind::kExisting, 0, SetupStep::kMaskPath,
                           target.out(), step.parent_mode);
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
                           SetupStep::kRemountReadOnly, target.out(), step.parent_mode);
  if (e.failed()) return e;
  // mount_setattr(2) acts on the mount whose root `target` is; EINVAL means it is not one.
  unsigned flags = AT_EMPTY_PATH | (step.recursive ? AT_RECURSIVE : 0);
  if (sys::MountSetattr(target.get(), "", flags, MOUNT_ATTR_RDONLY, 0) < 0) {
    return StepFailed(SetupStep::kRemountReadOnly, errno, step.target,
                      errno == EINVAL ? "not a mount point" : nullptr);
  }
  return StepOk();
}

// The workspace overlay's upper and work dirs: a bounded tmpfs of their own, mounted on the
// staging root (invisible to the job, detached with it at the pivot; the overlay and the
// supervisor's descriptor keep it), the upper dir given the lower root's mode so the
// overlay's root looks like the checkout's. *changes: the upper dir, opened for reading.
constexpr const char* kWorkspaceOverlayHint =
    "the workspace overlay; sandbox doctor checks overlayfs, --workspace bind needs none";

StepError PrepareChangesTmpfs(const RootFds& fds, const MountStep& step, char* upper_path,
                              char* work_path, size_t path_size, int* changes) noexcept {
  constexpr const char* kHint = kWorkspaceOverlayHint;
  char dir_path[64];
  RawBuffer d(dir_path, sizeof(dir_path));
  d.Append("/workspace-changes-").AppendInt(step.op_index);
  RawBuffer u(upper_path, path_size);
  u.Append(dir_path).Append("/upper");
  RawBuffer w(work_path, path_size);
  w.Append(dir_path).Append("/work");
  Fd lower(OpenSource(fds.old_root, step.source));
  struct stat st;
  if (lower.get() < 0 || ::fstat(lower.get(), &st) < 0) {
    return StepFailed(SetupStep::kMountOverlay, errno, step.target, kHint);
  }
  Fd mnt;
  StepError e =
      MountFreshFs("tmpfs", step.mode_text, step.size_text, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
                   SetupStep::kMountOverlay, step.target, mnt.out());
  if (e.failed()) return e;
  if (::mkdir(dir_path, 0700) < 0 ||
      sys::MoveMount(mnt.get(), "", AT_FDCWD, dir_path, MOVE_MOUNT_F_EMPTY_PATH) < 0 ||
      ::mkdir(upper_path, st.st_mode & 07777) < 0 || ::mkdir(work_path, 0700) < 0 ||
      ::chmod(upper_path, st.st_mode & 07777) < 0) {
    return StepFailed(SetupStep::kMountOverlay, errno, step.target, kHint);
  }
  *changes = ::open(upper_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (*changes < 0) return StepFailed(SetupStep::kMountOverlay, errno, step.target, kHint);
  return StepOk();
}

// overlayfs from the layers (top first), with the host's upper dir and workdir (kOverlay),
// private ones on the staging tmpfs (kTmpOverlay) or none (read-only). "userxattr": in a user
// namespace overlayfs keeps its metadata in user.* xattrs (overlayfs docs, "Permission model").
StepError ApplyOverlay(const RootFds& fds, const MountStep& step, Mounted* out) noexcept {
  char upper_path[64];
  char work_path[64];
  const char* upper = step.upper;
  const char* work = step.work;
  Fd changes;  // the workspace's upper dir, for the supervisor
  if (step.capture_changes) {
    StepError e =
        PrepareChangesTmpfs(fds, step, upper_path, work_path, sizeof(upper_path), changes.out());
    if (e.failed()) return e;
    upper = upper_path;
    work = work_path;
  } else if (step.kind == MountKind::kTmpOverlay) {
    RawBuffer u(upper_path, sizeof(upper_path));
    u.Append("/tmp-overlay-upper-").AppendInt(step.op_index);
    RawBuffer w(work_path, sizeof(work_path));
    w.Append("/tmp-overlay-work-").AppendInt(step.op_index);
    if (::mkdir(upper_path, 0755) < 0 || ::mkdir(work_path, 0755) < 0) {
      return StepFailed(SetupStep::kMountOverlay, errno, step.target, "private upper dir");
    }
    upper = upper_path;
    work = work_path;
  }
  Fd fs(sys::FsOpen("overlay", FSOPEN_CLOEXEC));
  if (fs.get() < 0) return StepFailed(SetupStep::kMountOverlay, errno, step.target);
  // "lowerdir+" (Linux 6.8) takes one layer at a time; before it, the joined list.
  bool added = true;
  for (size_t i = 0; i < step.layer_count && added; ++i) {
    added = sys::FsConfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", step.layers[i], 0) == 0;
  }
  if (!added && (step.layer_count == 0 || sys::FsConfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir",
                                                        step.lowerdir_text, 0) < 0)) {
    return StepFailed(SetupStep::kMountOverlay, errno, step.target, "lower layers");
  }
  if (upper != nullptr && (sys::FsConfig(fs.get(), FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
                           sys::FsConfig(fs.get(), FSCONFIG_SET_STRING, "workdir", work, 0) < 0)) {
    return StepFailed(SetupStep::kMountOverlay, errno, step.target, "upper dir or workdir");
  }
  if (sys::FsConfig(fs.get(), FSCONFIG_SET_FLAG, "userxattr", nullptr, 0) < 0 ||
      sys::FsConfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) {
    return StepFailed(SetupStep::kMountOverlay, errno, step.target,
                      step.capture_changes ? kWorkspaceOverlayHint : nullptr);
  }
  Fd mnt(sys::FsMount(fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
  if (mnt.get() < 0) return StepFailed(SetupStep::kMountOverlay, errno, step.target);
  Fd target;
  StepError e = OpenInRoot(fds.new_root, step.target, LeafKind::kDirectory, 0755,
                           SetupStep::kCreateMountPoint, target.out(), step.parent_mode);
  if (e.failed()) return e;
  if (sys::MoveMount(mnt.get(), "", target.get(), "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    return StepFailed(SetupStep::kMountOverlay, errno, step.target);
  }
  // The supervisor keeps the upper dir (and so its tmpfs) past the namespace's end, and walks
  // it for the change list once every process of the job is gone.
  if (changes.get() >= 0) {
    Record record = MakeErrorRecord(RecordKind::kWorkspaceChanges, SetupStep::kMountOverlay, 0,
                                    step.op_index, step.target, nullptr);
    if (!SendRecordWithFd(fds.sync_fd, record, changes.get())) {
      return StepFailed(SetupStep::kMountOverlay, errno, step.target,
                        "cannot hand the workspace's changes to the supervisor");
    }
  }
  out->fd = mnt.release();
  return StepOk();
}

// The POSIX message queues of the sandbox's ipc namespace (mq_overview(7)).
StepError ApplyMqueue(const RootFds& fds, const MountStep& step, Mounted* out) noexcept {
  Fd mnt;
  StepError e = MountFreshAt(fds, step, "mqueue", 0755, 0, SetupStep::kMountMqueue, &mnt);
  if (!e.failed()) out->fd = mnt.release();
  return e;
}

// chmod of a path that must exist. An O_PATH descriptor cannot be fchmod()ed, so fchmodat2
// with AT_EMPTY_PATH (Linux 6.6); before it, the descriptor's /proc/self/fd link under the
// host's proc, which is still reachable at this point of the setup.
StepError ApplyChmod(const RootFds& fds, const MountStep& step) noexcept {
  Fd target;
  StepError e = OpenInRoot(fds.new_root, step.target, LeafKind::kExisting, 0,
                           SetupStep::kChangeMode, target.out());
  if (e.failed()) return e;
  if (::syscall(452 /* fchmodat2 */, target.get(), "", step.mode, AT_EMPTY_PATH) == 0)
    return StepOk();
  if (errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
    return StepFailed(SetupStep::kChangeMode, errno, step.target);
  char link[64];
  RawBuffer path(link, sizeof(link));
  path.Append("/oldroot/proc/self/fd/").AppendInt(target.get());
  if (::chmod(link, step.mode) < 0) return StepFailed(SetupStep::kChangeMode, errno, step.target);
  return StepOk();
}

// bubblewrap's --bind-data: the content in a file of the staging tmpfs (invisible to the job),
// bound onto the target, then unlinked from the staging root.
StepError ApplyBindData(const RootFds& fds, const MountStep& step, Mounted* out) noexcept {
  char name[64];
  RawBuffer path(name, sizeof(name));
  path.Append("/bind-data-").AppendInt(step.op_index);
  Fd file(::open(name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (file.get() < 0 || !WriteAll(file.get(), std::string_view(step.content, step.content_size)))
    return StepFailed(SetupStep::kBindData, errno, step.target);
  if (::fchmod(file.get(), step.mode) < 0)
    return StepFailed(SetupStep::kBindData, errno, step.target);
  Fd tree(sys::OpenTree(file.get(), "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH));
  uint64_t attrs = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  if (step.kind == MountKind::kReadOnlyBindData) attrs |= MOUNT_ATTR_RDONLY;
  if (tree.get() < 0 || sys::MountSetattr(tree.get(), "", AT_EMPTY_PATH, attrs, 0) < 0)
    return StepFailed(SetupStep::kBindData, errno, step.target);
  Fd target;
  StepError e = OpenInRoot(fds.new_root, step.target, LeafKind::kFile, 0444,
                           SetupStep::kCreateMountPoint, target.out(), step.parent_mode);
  if (e.failed()) return e;
  if (sys::MoveMount(tree.get(), "", target.get(), "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
    return StepFailed(SetupStep::kBindData, errno, step.target);
  }
  ::unlink(name);  // the bind keeps the file; nothing else may reach it
  out->fd = tree.release();
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

StepError PrepareStagingRoot(const ChildPlan& plan, RootFds* fds) noexcept {
  // Private, not slave: nothing the sandbox mounts may propagate to the host, and host mounts
  // appearing later must not show up inside either (mount_namespaces(7)).
  if (sys::Mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
    return StepFailed(SetupStep::kMakeRootPrivate, errno, "/");
  }
  fds->own_size_text = plan.own_tmpfs_size_text;
  fds->user_limits = plan.user_limits.data();
  fds->user_limit_count = plan.user_limits.size();
  fds->sync_fd = plan.sync_fd;
  char options[64];
  RawBuffer text(options, sizeof(options));
  text.Append("mode=0755");
  if (plan.own_tmpfs_size_text != nullptr) text.Append(",size=").Append(plan.own_tmpfs_size_text);
  if (sys::Mount("tmpfs", kStagingMountPoint, "tmpfs", MS_NOSUID | MS_NODEV, options) < 0) {
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
  if (sys::Mount("tmpfs", "/newroot", "tmpfs", MS_NOSUID | MS_NODEV, options) < 0) {
    return StepFailed(SetupStep::kMountStagingRoot, errno, "/newroot");
  }
  fds->old_root = ::open("/oldroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
  fds->new_root = ::open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
  fds->base_root = ::open("/newroot", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fds->old_root < 0 || fds->new_root < 0 || fds->base_root < 0) {
    return StepFailed(SetupStep::kMountStagingRoot, errno, "/newroot");
  }
  (void)TrustSymlinksOn(fds->new_root);
  return StepOk();
}

StepError ApplyMountStep(const RootFds& fds, const MountStep& step, Mounted* out) noexcept {
  StepError e;
  switch (step.kind) {
    case MountKind::kBind:
    case MountKind::kReadOnlyBind:
    case MountKind::kDevBind:
      e = ApplyBind(fds, step, out);
      break;
    case MountKind::kTmpfs:
      e = ApplyTmpfs(fds, step, out);
      break;
    case MountKind::kProc:
      e = ApplyProc(fds, step, out);
      break;
    case MountKind::kDev:
      e = ApplyDev(fds, step, out);
      break;
    case MountKind::kDir:
      e = ApplyDir(fds, step, out);
      break;
    case MountKind::kSymlink:
      e = ApplySymlink(fds, step);
      break;
    case MountKind::kFile:
      e = ApplyFile(fds, step, out);
      break;
    case MountKind::kMask:
      e = ApplyMask(fds, step);
      break;
    case MountKind::kRemountReadOnly:
      e = ApplyRemountReadOnly(fds, step);
      break;
    case MountKind::kOverlay:
    case MountKind::kTmpOverlay:
    case MountKind::kReadOnlyOverlay:
      e = ApplyOverlay(fds, step, out);
      break;
    case MountKind::kMqueue:
      e = ApplyMqueue(fds, step, out);
      break;
    case MountKind::kChmod:
      e = ApplyChmod(fds, step);
      break;
    case MountKind::kBindData:
    case MountKind::kReadOnlyBindData:
      e = ApplyBindData(fds, step, out);
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

StepError SealOwnMounts(const RootFds& fds, const int* dev_fds, size_t dev_count) noexcept {
  // mount_setattr(2) only ever sets MOUNT_ATTR_RDONLY here: the tmpfs mounts are the
  // sandbox's own, nothing the host locked. Without it, only Landlock (when the kernel has it
  // and it is not off) keeps the job from writing the root and /dev.
  if (sys::MountSetattr(fds.base_root, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, 0) < 0) {
    return StepFailed(SetupStep::kSealMounts, errno, "/");
  }
  for (size_t i = 0; i < dev_count; ++i) {
    if (sys::MountSetattr(dev_fds[i], "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, 0) < 0) {
      return StepFailed(SetupStep::kSealMounts, errno, "/dev");
    }
  }
  return StepOk();
}

StepError EnterNewRoot(RootFds* fds) noexcept {
  ::close(fds->old_root);
  fds->old_root = -1;
  if (fds->base_root >= 0) ::close(fds->base_root);
  fds->base_root = -1;
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

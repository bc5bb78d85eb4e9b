// Thin wrappers for the syscalls glibc 2.36 does not wrap (or wraps behind headers that clash
// with <linux/mount.h>). All are async-signal-safe and return -1 with errno set on failure.
#ifndef SANDBOX_COMMON_SYSCALLS_H_
#define SANDBOX_COMMON_SYSCALLS_H_

#include <fcntl.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#ifndef MNT_DETACH
#define MNT_DETACH 2  // <sys/mount.h>, which clashes with <linux/mount.h> on glibc 2.36
#endif

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL  // <linux/sched.h>, which clashes with <sched.h>
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

namespace sandbox::sys {

/// The kernel's struct clone_args (clone3(2)); declared here so <linux/sched.h> is not needed.
struct CloneArgs {
  uint64_t flags = 0;
  uint64_t pidfd = 0;
  uint64_t child_tid = 0;
  uint64_t parent_tid = 0;
  uint64_t exit_signal = 0;
  uint64_t stack = 0;
  uint64_t stack_size = 0;
  uint64_t tls = 0;
  uint64_t set_tid = 0;
  uint64_t set_tid_size = 0;
  uint64_t cgroup = 0;
};

inline long Clone3(CloneArgs* args) noexcept {
  return ::syscall(SYS_clone3, args, sizeof(CloneArgs));
}

inline int OpenAt2(int dirfd, const char* path, uint64_t flags, uint64_t resolve) noexcept {
  struct open_how how = {};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof(how)));
}

inline int OpenTree(int dirfd, const char* path, unsigned flags) noexcept {
  return static_cast<int>(::syscall(SYS_open_tree, dirfd, path, flags));
}

inline int MoveMount(int from_dirfd, const char* from_path, int to_dirfd, const char* to_path,
                     unsigned flags) noexcept {
  return static_cast<int>(
      ::syscall(SYS_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags));
}

inline int MountSetattr(int dirfd, const char* path, unsigned flags, uint64_t attr_set,
                        uint64_t attr_clr) noexcept {
  struct mount_attr attr = {};
  attr.attr_set = attr_set;
  attr.attr_clr = attr_clr;
  return static_cast<int>(::syscall(SYS_mount_setattr, dirfd, path, flags, &attr, sizeof(attr)));
}

inline int FsOpen(const char* fs_name, unsigned flags) noexcept {
  return static_cast<int>(::syscall(SYS_fsopen, fs_name, flags));
}

inline int FsConfig(int fd, unsigned cmd, const char* key, const void* value, int aux) noexcept {
  return static_cast<int>(::syscall(SYS_fsconfig, fd, cmd, key, value, aux));
}

inline int FsMount(int fd, unsigned flags, unsigned attr_flags) noexcept {
  return static_cast<int>(::syscall(SYS_fsmount, fd, flags, attr_flags));
}

inline int Mount(const char* source, const char* target, const char* fstype, unsigned long flags,
                 const void* data) noexcept {
  return static_cast<int>(::syscall(SYS_mount, source, target, fstype, flags, data));
}

inline int Umount2(const char* target, int flags) noexcept {
  return static_cast<int>(::syscall(SYS_umount2, target, flags));
}

inline int PivotRoot(const char* new_root, const char* put_old) noexcept {
  return static_cast<int>(::syscall(SYS_pivot_root, new_root, put_old));
}

inline int PidfdSendSignal(int pidfd, int sig) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

inline int PidfdOpen(pid_t pid) noexcept {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

inline int CloseRange(unsigned first, unsigned last, unsigned flags) noexcept {
  return static_cast<int>(::syscall(SYS_close_range, first, last, flags));
}

// The raw calls, for this thread only: glibc's setuid()/setgid() change every thread it knows
// of (signalling each, nptl "setxid"), and in a clone()d child that list is the supervisor's.
inline int SetUid(uid_t uid) noexcept { return static_cast<int>(::syscall(SYS_setuid, uid)); }

inline int SetGid(gid_t gid) noexcept { return static_cast<int>(::syscall(SYS_setgid, gid)); }

}  // namespace sandbox::sys

#endif  // SANDBOX_COMMON_SYSCALLS_H_

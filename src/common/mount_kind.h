// The kinds of filesystem operation a sandbox can be built from, shared by flags, profiles,
// the Policy and the child's mount code so each layer speaks of the same thing.
#ifndef SANDBOX_COMMON_MOUNT_KIND_H_
#define SANDBOX_COMMON_MOUNT_KIND_H_

#include <cstdint>

namespace sandbox {

enum class MountKind : uint8_t {
  kBind,              // host source -> target, read-write, recursive, nosuid, nodev
  kReadOnlyBind,      // like kBind, read-only for every submount too
  kDevBind,           // like kBind but device nodes stay usable
  kTmpfs,             // fresh tmpfs with size and mode
  kProc,              // fresh proc of the sandbox's pid namespace
  kDev,               // minimal /dev: null zero full random urandom tty, devpts, shm, links
  kDir,               // a directory, created with mode
  kSymlink,           // link at target whose text is source
  kRemountReadOnly,   // make the mount at target read-only, recursively
  kFile,              // a small file with inline content
  kMask,              // hide a path: empty read-only tmpfs on dirs, unreadable on files
  kOverlay,           // overlayfs: host layers below, a host upper dir (and its workdir) for writes
  kTmpOverlay,        // overlayfs: host layers below, writes to an invisible tmpfs
  kReadOnlyOverlay,   // overlayfs of two or more host layers, read-only
  kMqueue,            // fresh mqueue filesystem of the sandbox's ipc namespace
  kChmod,             // change the mode of an existing path
  kBindData,          // inline content in a private file, bound read-write on target
  kReadOnlyBindData,  // likewise, bound read-only
};

/// The name flags and profiles use: "ro-bind", "tmpfs", ... Never null.
const char* MountKindName(MountKind kind) noexcept;

/// True for the overlay kinds (their layers are host paths).
constexpr bool IsOverlay(MountKind kind) noexcept {
  return kind == MountKind::kOverlay || kind == MountKind::kTmpOverlay ||
         kind == MountKind::kReadOnlyOverlay;
}

/// True for the kinds whose source is a host path.
constexpr bool IsBind(MountKind kind) noexcept {
  return kind == MountKind::kBind || kind == MountKind::kReadOnlyBind ||
         kind == MountKind::kDevBind;
}

}  // namespace sandbox

#endif  // SANDBOX_COMMON_MOUNT_KIND_H_

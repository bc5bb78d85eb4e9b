#include "common/mount_kind.h"

namespace sandbox {

const char* MountKindName(MountKind kind) noexcept {
  switch (kind) {
    case MountKind::kBind:
      return "bind";
    case MountKind::kReadOnlyBind:
      return "ro-bind";
    case MountKind::kDevBind:
      return "dev-bind";
    case MountKind::kTmpfs:
      return "tmpfs";
    case MountKind::kProc:
      return "proc";
    case MountKind::kDev:
      return "dev";
    case MountKind::kDir:
      return "dir";
    case MountKind::kSymlink:
      return "symlink";
    case MountKind::kRemountReadOnly:
      return "remount-ro";
    case MountKind::kFile:
      return "file";
    case MountKind::kMask:
      return "mask";
    case MountKind::kOverlay:
      return "overlay";
    case MountKind::kTmpOverlay:
      return "tmp-overlay";
    case MountKind::kReadOnlyOverlay:
      return "ro-overlay";
    case MountKind::kMqueue:
      return "mqueue";
    case MountKind::kChmod:
      return "chmod";
    case MountKind::kBindData:
      return "bind-data";
    case MountKind::kReadOnlyBindData:
      return "ro-bind-data";
  }
  return "mount";
}

}  // namespace sandbox

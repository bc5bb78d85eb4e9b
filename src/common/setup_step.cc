#include "common/setup_step.h"

namespace sandbox {

const char* SetupStepName(SetupStep step) noexcept {
  switch (step) {
    case SetupStep::kWriteIdMaps:
      return "write id maps";
    case SetupStep::kMakeRootPrivate:
      return "make / private";
    case SetupStep::kMountStagingRoot:
      return "mount staging root";
    case SetupStep::kCreateMountPoint:
      return "create mount point";
    case SetupStep::kBindMount:
      return "bind";
    case SetupStep::kMountTmpfs:
      return "mount tmpfs";
    case SetupStep::kMountProc:
      return "mount proc";
    case SetupStep::kMountDev:
      return "mount dev";
    case SetupStep::kMakeDirectory:
      return "create directory";
    case SetupStep::kMakeSymlink:
      return "create symlink";
    case SetupStep::kWriteFile:
      return "write file";
    case SetupStep::kMaskPath:
      return "mask";
    case SetupStep::kRemountReadOnly:
      return "remount read-only";
    case SetupStep::kPivotRoot:
      return "pivot_root";
    case SetupStep::kSetHostname:
      return "set hostname";
    case SetupStep::kBringUpLoopback:
      return "bring up lo";
    case SetupStep::kSetUpEgress:
      return "set up the egress resolver and proxy sockets";
    case SetupStep::kCloseInheritedFds:
      return "close inherited descriptors";
    case SetupStep::kLockFile:
      return "lock file";
    case SetupStep::kOpenTerminal:
      return "open terminal";
    case SetupStep::kForkJob:
      return "fork job";
    case SetupStep::kNewSession:
      return "start new session";
    case SetupStep::kChangeDirectory:
      return "change directory";
    case SetupStep::kSetResourceLimits:
      return "set resource limits";
    case SetupStep::kApplyLandlock:
      return "apply landlock";
    case SetupStep::kDropCapabilities:
      return "drop capabilities";
    case SetupStep::kSetNoNewPrivs:
      return "set no_new_privs";
    case SetupStep::kInstallSeccomp:
      return "install seccomp filter";
    case SetupStep::kExecute:
      return "execute";
    case SetupStep::kMountOverlay:
      return "mount overlay";
    case SetupStep::kMountMqueue:
      return "mount mqueue";
    case SetupStep::kChangeMode:
      return "chmod";
    case SetupStep::kBindData:
      return "bind data";
    case SetupStep::kNestUserNamespace:
      return "create nested user namespace";
    case SetupStep::kCheckUserNamespacesDisabled:
      return "check that user namespaces are disabled";
    case SetupStep::kJoinUserNamespace:
      return "join user namespace";
    case SetupStep::kWaitForBlockFd:
      return "wait for block fd";
    case SetupStep::kJoinCgroupNamespace:
      return "join cgroup namespace";
    case SetupStep::kCheckBindSource:
      return "check bind source";
    case SetupStep::kSwitchUid:
      return "switch to uid";
    case SetupStep::kSwitchGid:
      return "switch to gid";
    case SetupStep::kBoundUserLimits:
      return "bound per-user kernel objects";
    case SetupStep::kSealMounts:
      return "make the sandbox's own mounts read-only";
    case SetupStep::kCount:
      break;
  }
  return "setup";
}

}  // namespace sandbox

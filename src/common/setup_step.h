// The named steps between clone() and execve(). An error record names its step so the
// supervisor's message uses the same words as the code (see child/setup.cc).
#ifndef SANDBOX_COMMON_SETUP_STEP_H_
#define SANDBOX_COMMON_SETUP_STEP_H_

#include <cstdint>

namespace sandbox {

enum class SetupStep : uint8_t {
  kWriteIdMaps,
  kMakeRootPrivate,
  kMountStagingRoot,
  kCreateMountPoint,
  kBindMount,
  kMountTmpfs,
  kMountProc,
  kMountDev,
  kMakeDirectory,
  kMakeSymlink,
  kWriteFile,
  kMaskPath,
  kRemountReadOnly,
  kPivotRoot,
  kSetHostname,
  kBringUpLoopback,
  kCloseInheritedFds,
  kOpenTerminal,
  kLockFile,
  kForkJob,
  kNewSession,
  kChangeDirectory,
  kSetResourceLimits,
  kApplyLandlock,
  kDropCapabilities,
  kSetNoNewPrivs,
  kInstallSeccomp,
  kExecute,
  kMountOverlay,
  kMountMqueue,
  kChangeMode,
  kBindData,
  kNestUserNamespace,
  kCheckUserNamespacesDisabled,
  kJoinUserNamespace,
  kWaitForBlockFd,
  kJoinCgroupNamespace,  // sandbox enter: the entered process, once in the run's cgroup
  kCheckBindSource,
  kSwitchUid,
  kSwitchGid,
  kBoundUserLimits,
  kSealMounts,
  kSetUpEgress,  // --allow-host: lo's extra addresses, the resolver's and proxy's sockets
  kCount,
};

/// Human wording for the step, e.g. "bind mount". Never null.
const char* SetupStepName(SetupStep step) noexcept;

}  // namespace sandbox

#endif  // SANDBOX_COMMON_SETUP_STEP_H_

// Questions about the host that --isolation asks before a run: whether a user namespace can be
// had here at all, and how many processes the caller already has (RLIMIT_NPROC counts them).
#ifndef SANDBOX_POLICY_HOST_PROBES_H_
#define SANDBOX_POLICY_HOST_PROBES_H_

#include <sys/types.h>

#include <cstdint>

namespace sandbox::policy {

/// True when a forked child can unshare(CLONE_NEWUSER) and write its own uid_map, as the
/// sandbox's child does (the doctor's check, without the explanation). False where a seccomp
/// filter (an enclosing sandbox, a container) or a sysctl refuses it.
bool UserNamespacesWork();

/// The number of processes whose real uid is `uid`, from /proc (0 if /proc cannot be read).
uint64_t CountUserProcesses(uid_t uid);

}  // namespace sandbox::policy

#endif  // SANDBOX_POLICY_HOST_PROBES_H_

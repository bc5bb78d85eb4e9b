// The per-user kernel object limits a sandbox's user namespace gets: a share of the caller's
// own, so a job that takes all it can leaves the caller's other processes the rest.
#ifndef SANDBOX_LAUNCH_USER_LIMITS_H_
#define SANDBOX_LAUNCH_USER_LIMITS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "seccomp/settings.h"

namespace sandbox::launch {

struct UserLimit {
  std::string name;  // a file of /proc/sys/user, e.g. "max_inotify_instances"
  uint64_t value = 0;
};

/// The job's share of a limit the caller's namespace has: half, so the caller keeps the
/// other half whatever the job does (docs/design-decisions.md, "Per-user kernel objects").
uint64_t JobShareOf(uint64_t caller_limit);

/// Whether the job can create namespaces at all: not under the default filter (unshare and
/// clone with CLONE_NEW*, clone3) unless its action only logs or the profile allows those.
bool JobMayCreateNamespaces(const seccomp::Settings* seccomp);

/// The counters of the caller's /proc/sys/user with JobShareOf their values: inotify and
/// fanotify always, the max_*_namespaces ones when `namespaces`. A counter this kernel does not
/// have is left out; an error when the directory or a counter cannot be read.
Result<std::vector<UserLimit>> ReadUserLimits(bool namespaces,
                                              const std::string& dir = "/proc/sys/user");

/// Whether pid 1 can write its namespace's limits through the caller's /proc/sys/user (what it
/// does when the run has no fresh proc, --host-proc): not where a container masked /proc/sys
/// or made it read-only.
bool CallersProcSysUserWritable(const std::string& dir = "/proc/sys/user");

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_USER_LIMITS_H_

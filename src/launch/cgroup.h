// cgroup v2 limits for a run: a child cgroup of the caller's delegated cgroup holding the whole
// sandbox, with memory.max, pids.max and cpu.max; cgroup.kill at the end; peak memory and OOM
// kills read back. Parent side. Paths are injectable so tests run against a fake cgroupfs.
#ifndef SANDBOX_LAUNCH_CGROUP_H_
#define SANDBOX_LAUNCH_CGROUP_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/unique_fd.h"

namespace sandbox::launch {

struct CgroupLimits {
  std::optional<uint64_t> memory_max;  // bytes
  std::optional<uint64_t> pids_max;
  std::optional<uint64_t> cpu_quota_us;  // per 100 ms period
  bool any() const { return memory_max || pids_max || cpu_quota_us; }
};

/// The cgroup v2 directory of this process: the "0::" line of /proc/self/cgroup joined to the
/// cgroup2 mount point found in /proc/self/mountinfo. Fails when there is no cgroup2 mount or
/// the process is not in the unified hierarchy.
Result<std::string> FindOwnCgroup(std::string_view proc_self_cgroup, std::string_view mountinfo);

/// The cgroup v2 directory of process `pid`: FindOwnCgroup over /proc/PID/cgroup and this
/// process's mountinfo.
Result<std::string> CgroupOfProcess(pid_t pid);

struct CgroupUsage {
  std::optional<uint64_t> memory_peak;  // bytes (memory.peak, Linux ≥ 5.19)
  uint64_t oom_kills = 0;               // memory.events oom_kill
};

/// One run's cgroup. Create() makes `<base>/sandbox-<pid>` with the limits written; the
/// supervisor clones into it with CLONE_INTO_CGROUP (dir_fd()). Finish() kills whatever is
/// left, reads usage and removes the directory.
class RunCgroup {
 public:
  /// base: the caller's own (delegated) cgroup directory.
  static Result<RunCgroup> Create(const std::string& base, const CgroupLimits& limits,
                                  pid_t supervisor);

  RunCgroup(RunCgroup&&) = default;
  RunCgroup& operator=(RunCgroup&&) = default;
  ~RunCgroup();

  int dir_fd() const { return dir_.get(); }
  const std::string& path() const { return path_; }
  CgroupUsage Finish();

 private:
  RunCgroup() = default;
  std::string path_;
  UniqueFd dir_;
  bool finished_ = false;
};

/// What to tell a user whose host has no delegated cgroup v2 subtree.
inline constexpr const char* kCgroupDelegationHint =
    "cgroup limits need a delegated cgroup v2 subtree: run it as "
    "systemd-run --user --scope -p Delegate=yes sandbox ... (see: sandbox doctor)";

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_CGROUP_H_

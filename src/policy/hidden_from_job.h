// Whether a directory of the host stays out of the job's sight: `sandbox step` keeps its report
// there, where a job that could write would forge what the CI engine reads (docs/fleet.md).
#ifndef SANDBOX_POLICY_HIDDEN_FROM_JOB_H_
#define SANDBOX_POLICY_HIDDEN_FROM_JOB_H_

#include <string>
#include <vector>

#include "common/result.h"
#include "policy/policy.h"

namespace sandbox::policy {

/// Fails, naming the mount and the fix, when the host directory `dir` (absolute, canonical) is
/// or lies beneath the source of a bind or a layer of an overlay among `mounts`: the workspace,
/// caches and protected paths are binds too, so every way the host reaches the job is checked.
Result<void> CheckHiddenFromJob(const std::vector<MountOp>& mounts, const std::string& dir);

}  // namespace sandbox::policy

#endif  // SANDBOX_POLICY_HIDDEN_FROM_JOB_H_

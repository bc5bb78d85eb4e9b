// `--isolation landlock`: a run without namespaces (hosts and containers where user namespaces
// are refused, docs/ci.md). What the job may open comes from Landlock alone, so the mounts a
// namespace run would make are turned into Landlock rules on the host's own paths, and every
// mount that only a mount namespace could make is refused by name: never a weaker run than the
// profile says without a word (docs/design-decisions.md, "Where CI runs").
#ifndef SANDBOX_POLICY_LANDLOCK_ONLY_H_
#define SANDBOX_POLICY_LANDLOCK_ONLY_H_

#include <string>
#include <vector>

#include "common/result.h"
#include "policy/policy.h"

namespace sandbox::policy {

/// The rules for `mounts`. `exists(path)` answers whether a host path exists and
/// `same_file(a, b)` whether two host paths are one file (injected for tests).
struct HostView {
  bool (*exists)(const std::string& path) = nullptr;
  bool (*is_dir)(const std::string& path) = nullptr;
  bool (*same_file)(const std::string& a, const std::string& b) = nullptr;
  /// The text of the symlink at `path`, or "" when it is not one.
  std::string (*link_text)(const std::string& path) = nullptr;
  static HostView Real();
};

Result<LandlockOnlyPlan> TranslateForLandlockOnly(const std::vector<MountOp>& mounts,
                                                  const HostView& host);

/// The stderr note of every --isolation landlock run, and what `show` prints: what it lacks
/// compared to the namespace mode. "" for a namespace run.
std::string IsolationNote(const Policy& policy);

}  // namespace sandbox::policy

#endif  // SANDBOX_POLICY_LANDLOCK_ONLY_H_

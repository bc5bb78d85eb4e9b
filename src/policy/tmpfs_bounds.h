// Bounds for every tmpfs the sandbox mounts: a tmpfs pins its pages in RAM (or swap), which
// killing the job does not give back, so each gets a size and all of them a total
// (docs/profiles.md, "tmpfs sizes"). Pure: RAM comes from the Caller.
#ifndef SANDBOX_POLICY_TMPFS_BOUNDS_H_
#define SANDBOX_POLICY_TMPFS_BOUNDS_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "common/result.h"
#include "policy/policy.h"

namespace sandbox::policy {

/// A tmpfs without a size of its own gets a quarter of RAM, at most 4 GiB; all the job's
/// writable tmpfs mounts together get half of RAM, at most 8 GiB.
inline constexpr uint64_t kTmpfsSizeCap = uint64_t{4} << 30;
inline constexpr uint64_t kTmpfsTotalCap = uint64_t{8} << 30;
/// The sandbox's own tmpfs mounts (staging, root, /dev without its shm) hold mount points,
/// links and the profile's small files; read-only once built.
inline constexpr uint64_t kOwnTmpfsBase = uint64_t{4} << 20;
/// A default share below this is refused rather than handed out.
inline constexpr uint64_t kTmpfsMinimumShare = uint64_t{1} << 20;

struct TmpfsRequest {
  std::optional<uint64_t> size;   // --limit tmpfs=SIZE / [limits] tmpfs
  std::optional<uint64_t> total;  // --limit tmpfs_total=SIZE / [limits] tmpfs_total
  std::string size_origin;        // where each was given, for messages
  std::string total_origin;
};

/// A later tmpfs at the same target as an earlier one (`--size 64M --tmpfs /tmp` after a
/// profile's /tmp) replaces the earlier one in place, so what the profile mounts below it
/// stays visible; unless something in between was mounted at that target or above it.
void MergeTmpfsRedefinitions(std::vector<MountOp>* mounts);

/// Sizes every kTmpfs without one and the /dev/shm of each kDev (its size_bytes), checks the
/// total, and fills *plan. An error names the mount or limit to change.
Result<void> BoundTmpfsMounts(const TmpfsRequest& request, uint64_t ram_bytes,
                              std::vector<MountOp>* mounts, TmpfsPlan* plan);

}  // namespace sandbox::policy

#endif  // SANDBOX_POLICY_TMPFS_BOUNDS_H_

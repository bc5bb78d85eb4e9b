#include "policy/tmpfs_bounds.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace sandbox::policy {
namespace {

constexpr uint64_t kPage = 4096;

std::string Bytes(uint64_t n) {
  char text[32];
  if (n % (uint64_t{1} << 30) == 0) {
    std::snprintf(text, sizeof(text), "%" PRIu64 "G", n >> 30);
  } else if (n % (uint64_t{1} << 20) == 0) {
    std::snprintf(text, sizeof(text), "%" PRIu64 "M", n >> 20);
  } else {
    std::snprintf(text, sizeof(text), "%" PRIu64, n);
  }
  return text;
}

bool IsAtOrAbove(const std::string& ancestor, const std::string& path) {
  if (ancestor == "/" || ancestor == path) return true;
  return path.size() > ancestor.size() && path.compare(0, ancestor.size(), ancestor) == 0 &&
         path[ancestor.size()] == '/';
}

bool IsMount(MountKind kind) {
  return kind != MountKind::kDir && kind != MountKind::kSymlink && kind != MountKind::kFile &&
         kind != MountKind::kChmod;
}

// The workspace overlay's upper layer is a tmpfs the job fills as it writes.
bool Bounded(const MountOp& op) {
  return op.kind == MountKind::kTmpfs || op.kind == MountKind::kDev || op.capture_changes;
}

Error Located(Error e, const SourceLocation& where) {
  if (!e.where) e.where = where;
  return e;
}

}  // namespace

void MergeTmpfsRedefinitions(std::vector<MountOp>* mounts) {
  std::vector<MountOp>& ops = *mounts;
  for (size_t later = 1; later < ops.size(); ++later) {
    if (ops[later].kind != MountKind::kTmpfs) continue;
    for (size_t earlier = later; earlier-- > 0;) {
      const MountOp& op = ops[earlier];
      if (op.kind == MountKind::kTmpfs && op.target == ops[later].target) {
        MountOp replacement = std::move(ops[later]);
        ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(later));
        ops[earlier] = std::move(replacement);
        --later;
        break;
      }
      // Mounted at the target or above it: the later tmpfs was meant to go on top of that.
      if (IsAtOrAbove(op.target, ops[later].target) && IsMount(op.kind)) break;
    }
  }
}

Result<void> BoundTmpfsMounts(const TmpfsRequest& request, uint64_t ram_bytes,
                              std::vector<MountOp>* mounts, TmpfsPlan* plan) {
  uint64_t ram = ram_bytes != 0 ? ram_bytes : kTmpfsTotalCap * 2;
  uint64_t per_mount = request.size.value_or(std::min(ram / 4, kTmpfsSizeCap));
  uint64_t total = request.total.value_or(std::min(ram / 2, kTmpfsTotalCap));
  if (request.size && *request.size == 0) {
    Error e = MakeError("limit tmpfs=0 would leave tmpfs mounts unbounded");
    e.hint = "give a size, e.g. tmpfs=1G";
    return Located(e, SourceLocation{request.size_origin, 0, 0});
  }
  uint64_t explicit_sum = 0;
  size_t defaulted = 0;
  uint64_t file_bytes = 0;
  for (const MountOp& op : *mounts) {
    if (op.kind == MountKind::kFile) file_bytes += op.content.size();
    if (!Bounded(op)) continue;
    // tmpfs reads size=0 as "no limit" (tmpfs(5)): refuse it rather than pass it on.
    if (op.kind == MountKind::kTmpfs && op.size_bytes && *op.size_bytes == 0) {
      Error e = MakeError("a tmpfs of size 0 would be unbounded");
      e.hint = "give it a size, or leave the size out for the default (" + Bytes(per_mount) + ")";
      return Located(e, op.origin);
    }
    if (op.kind == MountKind::kTmpfs && op.size_bytes) {
      explicit_sum += *op.size_bytes;
      if (explicit_sum > total) {
        Error e = MakeError("the tmpfs sizes add up to more than the total of " + Bytes(total) +
                            " for tmpfs mounts");
        e.hint =
            "give smaller sizes, or raise the total with --limit tmpfs_total=SIZE "
            "([limits] tmpfs_total in a profile)";
        return Located(e, op.origin);
      }
    } else {
      ++defaulted;  // a tmpfs without a size, or a /dev's shm
    }
  }
  uint64_t share = per_mount;
  if (defaulted > 0) share = std::min(per_mount, (total - explicit_sum) / defaulted);
  share -= share % kPage;
  if (defaulted > 0 && share < kTmpfsMinimumShare) {
    Error e =
        MakeError("the total of " + Bytes(total) + " for tmpfs mounts leaves " + Bytes(share) +
                  " for each of the " + std::to_string(defaulted) + " without a size");
    e.hint = "raise it with --limit tmpfs_total=SIZE ([limits] tmpfs_total in a profile)";
    return Located(e, SourceLocation{request.total_origin, 0, 0});
  }
  for (MountOp& op : *mounts) {
    if (Bounded(op) && !op.size_bytes) op.size_bytes = share;
  }
  plan->bounded = true;
  plan->per_mount = share;
  plan->total = total;
  // The profile's files land in the root tmpfs (or another): room for them twice over.
  plan->own_bytes = kOwnTmpfsBase + 2 * ((file_bytes + kPage - 1) / kPage * kPage);
  return {};
}

}  // namespace sandbox::policy

#include "app/report_details.h"

#include <chrono>

namespace sandbox::app {
namespace {

// Whether the job can write through the mount, where that is the mount's property.
std::optional<bool> ReadOnly(MountKind kind) {
  switch (kind) {
    case MountKind::kReadOnlyBind:
    case MountKind::kReadOnlyOverlay:
    case MountKind::kReadOnlyBindData:
    case MountKind::kRemountReadOnly:
    case MountKind::kMask:
      return true;
    case MountKind::kBind:
    case MountKind::kDevBind:
    case MountKind::kTmpfs:
    case MountKind::kProc:
    case MountKind::kDev:
    case MountKind::kOverlay:
    case MountKind::kTmpOverlay:
    case MountKind::kMqueue:
    case MountKind::kBindData:
      return false;
    case MountKind::kDir:
    case MountKind::kSymlink:
    case MountKind::kFile:
    case MountKind::kChmod:
      break;
  }
  return std::nullopt;
}

bool AtOrBelow(const std::string& path, const std::string& top) {
  return top == "/" || path == top || (path.starts_with(top) && path[top.size()] == '/');
}

report::ReportedMount Describe(const policy::MountOp& op, bool present) {
  report::ReportedMount m;
  m.type = MountKindName(op.kind);
  m.source = op.source;
  m.target = op.target;
  m.read_only = ReadOnly(op.kind);
  m.optional = op.optional;
  m.present = present;
  m.origin = op.origin.ToString();
  return m;
}

}  // namespace

report::RunDetails DescribePolicy(const policy::Policy& policy) {
  report::RunDetails d;
  if (policy.timeout()) {
    d.timeout_seconds = std::chrono::duration<double>(*policy.timeout()).count();
  }
  d.timeout_grace_seconds = std::chrono::duration<double>(policy.timeout_grace()).count();

  const auto& mounts = policy.mounts();
  const auto& absent = policy.absent_mounts();
  size_t next_absent = 0;
  for (size_t i = 0; i <= mounts.size(); ++i) {
    while (next_absent < absent.size() && absent[next_absent].before == i) {
      d.mounts.push_back(Describe(absent[next_absent++].op, false));
    }
    if (i == mounts.size()) break;
    report::ReportedMount m = Describe(mounts[i], true);
    // A later --remount-ro at or above the target makes it read-only (recursively).
    for (size_t j = i + 1; j < mounts.size(); ++j) {
      if (mounts[j].kind == MountKind::kRemountReadOnly && m.read_only &&
          AtOrBelow(mounts[i].target, mounts[j].target)) {
        m.read_only = true;
      }
    }
    d.mounts.push_back(std::move(m));
  }

  for (const std::string& entry : policy.environment()) {
    d.env_names.push_back(entry.substr(0, entry.find('=')));
  }
  d.env_passed = policy.env_names().passed;
  d.env_denied = policy.env_names().denied;
  d.env_dropped = policy.env_names().dropped;
  return d;
}

}  // namespace sandbox::app

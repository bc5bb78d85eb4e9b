#include "policy/hidden_from_job.h"

namespace sandbox::policy {
namespace {

bool IsAtOrBeneath(const std::string& dir, const std::string& source) {
  if (source.empty() || source[0] != '/') return false;
  if (source == "/" || dir == source) return true;
  return dir.size() > source.size() && dir.compare(0, source.size(), source) == 0 &&
         dir[source.size()] == '/';
}

}  // namespace

Result<void> CheckHiddenFromJob(const std::vector<MountOp>& mounts, const std::string& dir) {
  for (const MountOp& op : mounts) {
    std::vector<std::string> sources;
    if (IsBind(op.kind)) sources.push_back(op.source);
    if (IsOverlay(op.kind)) {
      sources.insert(sources.end(), op.layers.begin(), op.layers.end());
      sources.push_back(op.upper);
    }
    for (const std::string& source : sources) {
      if (!IsAtOrBeneath(dir, source)) continue;
      Error e = MakeError("the report directory " + dir + " is visible to the job through " +
                          source + " -> " + op.target);
      e.hint = "give --report-dir a directory outside the checkout and every bind";
      e.where = op.origin;
      return e;
    }
  }
  return {};
}

}  // namespace sandbox::policy

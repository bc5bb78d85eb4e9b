#include "app/workspace_report.h"

namespace sandbox::app {

report::WorkspaceReport WorkspaceReportOf(const workspace::Layout& layout) {
  report::WorkspaceReport out;
  out.root = layout.root;
  out.found_by = layout.found_by;
  out.vcs_writable = layout.vcs_writable;
  for (const workspace::ProtectedPath& p : layout.protected_paths) {
    out.protected_paths.push_back({p.path, p.reason, p.read_only});
  }
  return out;
}

std::vector<report::CacheReport> CacheReportsOf(const workspace::Layout& layout) {
  std::vector<report::CacheReport> out;
  for (const workspace::CacheUse& c : layout.caches) {
    out.push_back({c.name, c.target, c.share, c.dir, c.host, c.how});
  }
  return out;
}

}  // namespace sandbox::app

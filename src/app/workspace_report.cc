#include "app/workspace_report.h"

#include <fcntl.h>

#include "workspace/changes.h"

namespace sandbox::app {

report::WorkspaceReport WorkspaceReportOf(const workspace::Layout& layout) {
  report::WorkspaceReport out;
  out.root = layout.root;
  out.found_by = layout.found_by;
  out.vcs_writable = layout.vcs_writable;
  out.overlay = layout.overlay;
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

std::vector<std::string> RelativeProtected(const workspace::Layout& layout) {
  std::vector<std::string> out;
  for (const workspace::ProtectedPath& p : layout.protected_paths) {
    if (p.path.size() > layout.root.size() + 1 &&
        p.path.compare(0, layout.root.size(), layout.root) == 0 &&
        p.path[layout.root.size()] == '/') {
      out.push_back(p.path.substr(layout.root.size() + 1));
    }
  }
  return out;
}

std::optional<Result<std::vector<report::ChangeEntry>>> ChangesOf(const workspace::Layout& layout,
                                                                  const report::Outcome& outcome) {
  if (!layout.overlay || !outcome.workspace_changes || !*outcome.workspace_changes) {
    return std::nullopt;
  }
  // The job never ran: nothing to list, and no "no changes" line after the error.
  if (outcome.kind == report::Outcome::Kind::kSetupFailed ||
      outcome.kind == report::Outcome::Kind::kExecFailed) {
    return std::nullopt;
  }
  UniqueFd lower(::openat(layout.root_fd.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!lower) {
    return Result<std::vector<report::ChangeEntry>>(
        MakeError("cannot open the workspace " + layout.root, errno));
  }
  return workspace::ListChanges(outcome.workspace_changes->get(), lower.get(),
                                RelativeProtected(layout));
}

}  // namespace sandbox::app

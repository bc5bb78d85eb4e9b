// The workspace stage's Layout as the report's plain `workspace` and `caches` fields, for the
// run's report and `sandbox show --json` alike.
#ifndef SANDBOX_APP_WORKSPACE_REPORT_H_
#define SANDBOX_APP_WORKSPACE_REPORT_H_

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "report/outcome.h"
#include "report/workspace_fields.h"
#include "workspace/layout.h"

namespace sandbox::app {

report::WorkspaceReport WorkspaceReportOf(const workspace::Layout& layout);
std::vector<report::CacheReport> CacheReportsOf(const workspace::Layout& layout);

/// --workspace overlay, once every process of the job is gone: the change list from the upper
/// dir pid 1 handed over. nullopt when the run had no overlay or never mounted it.
std::optional<Result<std::vector<report::ChangeEntry>>> ChangesOf(const workspace::Layout& layout,
                                                                  const report::Outcome& outcome);

/// The protected paths of the layout under its top level, relative to it.
std::vector<std::string> RelativeProtected(const workspace::Layout& layout);

}  // namespace sandbox::app

#endif  // SANDBOX_APP_WORKSPACE_REPORT_H_

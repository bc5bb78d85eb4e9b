// The workspace stage's Layout as the report's plain `workspace` and `caches` fields, for the
// run's report and `sandbox show --json` alike.
#ifndef SANDBOX_APP_WORKSPACE_REPORT_H_
#define SANDBOX_APP_WORKSPACE_REPORT_H_

#include <vector>

#include "report/workspace_fields.h"
#include "workspace/layout.h"

namespace sandbox::app {

report::WorkspaceReport WorkspaceReportOf(const workspace::Layout& layout);
std::vector<report::CacheReport> CacheReportsOf(const workspace::Layout& layout);

}  // namespace sandbox::app

#endif  // SANDBOX_APP_WORKSPACE_REPORT_H_

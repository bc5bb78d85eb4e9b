// What a --workspace overlay run does with the job's changes once it ended: --changes fail,
// patch=FILE and apply, --keep-changes. Supervisor side, after the change list is made.
#ifndef SANDBOX_APP_AFTER_CHANGES_H_
#define SANDBOX_APP_AFTER_CHANGES_H_

#include <string>
#include <vector>

#include "cli/options.h"
#include "report/outcome.h"
#include "workspace/changes.h"
#include "workspace/layout.h"

namespace sandbox::app {

/// Carries out the request; returns the run's exit status: `code` (the job's), or
/// kExitWorkspaceChanged when --changes fail found changes or --changes apply could not apply
/// them all, after a job that exited 0. Says on stderr what it did and refused.
/// --keep-changes keeps them as `run_name` first, whatever the job's status.
int AfterChanges(const cli::WorkspaceRequest& request, const workspace::Layout& layout, int upper,
                 const std::vector<workspace::Change>& changes, int code,
                 const std::string& run_name);

/// `sandbox: ` lines for what an apply left out (bytecode, one line) or refused and the
/// conflicts that stopped it.
void PrintApplyProblems(const std::vector<std::string>& skipped,
                        const std::vector<std::string>& refused,
                        const std::vector<std::string>& conflicts);

}  // namespace sandbox::app

#endif  // SANDBOX_APP_AFTER_CHANGES_H_

// The supervisor: clones the sandbox, writes its id maps, forwards signals, enforces the
// timeout and collects how the run ended. Parent side.
#ifndef SANDBOX_LAUNCH_SUPERVISOR_H_
#define SANDBOX_LAUNCH_SUPERVISOR_H_

#include "child/plan.h"
#include "common/result.h"
#include "policy/policy.h"
#include "report/outcome.h"

namespace sandbox::launch {

/// Runs the plan to completion. An Error means the sandbox could not even be started (clone
/// or id maps failed); everything after that is an Outcome.
Result<report::Outcome> RunSupervised(const policy::Policy& policy, child::ChildPlan& plan);

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_SUPERVISOR_H_

// The supervisor: clones the sandbox, writes its id maps, forwards signals, enforces the
// timeout and collects how the run ended. Parent side.
#ifndef SANDBOX_LAUNCH_SUPERVISOR_H_
#define SANDBOX_LAUNCH_SUPERVISOR_H_

#include <sys/types.h>

#include "child/plan.h"
#include "common/record.h"
#include "common/result.h"
#include "policy/policy.h"
#include "report/outcome.h"

namespace sandbox::launch {

/// Hooks for the parts of a run other modules care about (run state for `sandbox ps`, the
/// JSON report). Called on the supervisor's thread; they must not throw.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  /// pid 1 exists (pid in the caller's pid namespace) and its id maps are written.
  virtual void OnStarted(pid_t /*init_pid*/, int /*pidfd*/) {}
  /// A --verbose step record arrived.
  virtual void OnStep(const Record& /*record*/) {}
  /// pid 1 has been reaped; `outcome` is final.
  virtual void OnFinished(const report::Outcome& /*outcome*/) {}
};

/// Runs the plan to completion. An Error means the sandbox could not even be started (clone
/// or id maps failed); everything after that is an Outcome.
Result<report::Outcome> RunSupervised(const policy::Policy& policy, child::ChildPlan& plan,
                                      RunObserver* observer = nullptr);

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_SUPERVISOR_H_

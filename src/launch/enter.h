// `sandbox enter`: a new process in a live run's namespaces, with the run's job-side hardening.
// The caller joins the run's namespaces through a pidfd of the run's init (so a recycled pid is
// never joined), forks so the child is in the run's pid namespace, and the child runs the same
// child::RunJob sequence as the run's own job. The caller stays outside as its supervisor.
#ifndef SANDBOX_LAUNCH_ENTER_H_
#define SANDBOX_LAUNCH_ENTER_H_

#include <string>
#include <vector>

#include "common/result.h"
#include "launch/run_state.h"
#include "report/outcome.h"

namespace sandbox::launch {

struct EnterRequest {
  std::vector<std::string> command;
  bool terminal = false;  // a pty of the run's devpts, relayed to this terminal
};

/// Joins the run described by `state` and runs the command there until it ends. An Error means
/// nothing ran inside (the run is gone, or joining it was refused).
Result<report::Outcome> EnterRun(const RunState& state, const EnterRequest& request);

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_ENTER_H_

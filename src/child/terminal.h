// --tty: a pseudo-terminal from the sandbox's own devpts instance. pid 1 opens it and hands the
// master to the supervisor, which relays it to the caller's terminal; the job gets the slave as
// stdio and controlling terminal. The caller's terminal itself never enters the sandbox, so a
// job cannot push input into it (TIOCSTI) or change its modes. Async-signal-safe.
#ifndef SANDBOX_CHILD_TERMINAL_H_
#define SANDBOX_CHILD_TERMINAL_H_

#include "child/plan.h"
#include "child/step_error.h"

namespace sandbox::child {

/// In pid 1, after the pivot: opens /dev/ptmx, sizes it, sends the master over plan.sync_fd
/// and closes it. *slave receives the job's end (close-on-exec).
StepError OpenTerminal(const ChildPlan& plan, int* slave) noexcept;

/// In the job, a session leader without a terminal: makes `slave` its controlling terminal and
/// its stdin, stdout and stderr, then closes `slave`.
StepError AttachTerminal(int slave) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_TERMINAL_H_

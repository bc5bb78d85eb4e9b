// --isolation landlock: the child of a run without namespaces. It is the job itself: it opens
// the host paths the plan allows, then runs the job's hardening (child/job.h) with that
// ruleset and execs. Async-signal-safe, never returns.
#ifndef SANDBOX_CHILD_LANDLOCK_ONLY_H_
#define SANDBOX_CHILD_LANDLOCK_ONLY_H_

#include "child/plan.h"

namespace sandbox::child {

/// Builds the Landlock ruleset from plan.landlock_rules (host paths, each opened O_PATH here,
/// so the rule names what the path is now), sets no_new_privs (which landlock_restrict_self
/// needs without CAP_SYS_ADMIN) and runs RunJob with it. Failures go to plan.sync_fd; exit 125.
[[noreturn]] void RunLandlockOnly(const ChildPlan& plan) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_LANDLOCK_ONLY_H_

// The supervisor's side of --isolation landlock (no namespaces): the job's private TMPDIR, and
// the end of the process tree, which no pid namespace takes down with its init. Parent side.
#ifndef SANDBOX_LAUNCH_LANDLOCK_ONLY_H_
#define SANDBOX_LAUNCH_LANDLOCK_ONLY_H_

#include <string>

#include "child/plan.h"
#include "common/result.h"

namespace sandbox::launch {

/// A new 0700 directory for the job's temporary files, under $XDG_RUNTIME_DIR when that is a
/// directory, else /tmp (mkdtemp(3)).
Result<std::string> MakePrivateTmp();

/// TMPDIR, TMP and TEMP name `dir` in the job's environment (HOME too while it is the
/// default /tmp, which the job may not write here), and the job may write there.
void UsePrivateTmp(const std::string& dir, child::ChildPlan* plan);

/// Removes `dir` and everything in it, never following a symlink the job left.
void RemovePrivateTmp(const std::string& dir);

/// The supervisor is a subreaper (PR_SET_CHILD_SUBREAPER), so every process the job left
/// ends up its child: stops them all (a stopped process cannot fork), kills and reaps them,
/// and again until none is left. Returns how many it killed.
int KillRemainingChildren();

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_LANDLOCK_ONLY_H_

// The check after a run: a watched protected path (absent, or a symlink, at the start) that
// the job created or replaced is moved aside, so the host never trusts what the job planted.
#ifndef SANDBOX_WORKSPACE_AFTER_RUN_H_
#define SANDBOX_WORKSPACE_AFTER_RUN_H_

#include <string>
#include <vector>

#include "workspace/layout.h"

namespace sandbox::workspace {

struct MovedAside {
  std::string path;   // what the job created
  std::string moved;  // where it is now; "" when it could not be moved (`error` says why)
  std::string error;
};

/// Runs once every process of the job is gone. Renames each planted entry to
/// PATH.sandbox-moved-SUFFIX beside it (never replacing anything, never following a symlink
/// on the way) and returns what it found.
std::vector<MovedAside> MoveAsidePlanted(const Layout& layout, const std::string& suffix);

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_AFTER_RUN_H_

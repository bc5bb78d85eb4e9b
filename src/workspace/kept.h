// Kept changes (--keep-changes): a --workspace overlay run's change list and new content, on
// disk under $XDG_STATE_HOME/sandbox/runs/NAME/ (~/.local/state/... when unset), for
// `sandbox changes`, `diff`, `apply` and `discard`. The directory holds `checkout` (the
// workspace's path), `changes` (the list, one escaped line per entry) and `files/` (the new
// content of added and modified files, by path); every level is the caller's and 0700.
#ifndef SANDBOX_WORKSPACE_KEPT_H_
#define SANDBOX_WORKSPACE_KEPT_H_

#include <string>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "workspace/changes.h"

namespace sandbox::workspace {

/// $XDG_STATE_HOME/sandbox/runs when absolute, else $HOME/.local/state/sandbox/runs; "" if
/// neither is set.
std::string KeptRunsDir();

struct KeptRun {
  std::string name;
  std::string checkout;  // the workspace's top level on the host
  std::vector<Change> changes;
  UniqueFd files;  // files/, the new content
};

/// Copies what `changes` needs of `upper` into runs_dir/NAME (which must not exist yet).
Result<std::string> KeepChanges(const std::string& runs_dir, const std::string& name,
                                const std::string& checkout, int upper,
                                const std::vector<Change>& changes);

Result<KeptRun> LoadKept(const std::string& runs_dir, const std::string& name);

/// The kept runs' names, sorted.
std::vector<std::string> KeptNames(const std::string& runs_dir);

/// Removes runs_dir/NAME and everything in it.
Result<void> DiscardKept(const std::string& runs_dir, const std::string& name);

/// The `changes` file's text and back. Fields are tab-separated, '%', tab, newline and
/// backslash escaped as %XX.
std::string EncodeChanges(const std::vector<Change>& changes);
Result<std::vector<Change>> DecodeChanges(const std::string& text);

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_KEPT_H_

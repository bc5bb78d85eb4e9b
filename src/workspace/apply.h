// Applying a change list to the real checkout. This runs with the user's full rights on what
// an untrusted job wrote, so it is careful the way a setuid program is: every path is resolved
// beneath the checkout with no symlink followed (openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS),
// no device node, fifo, socket, setuid or setgid file is ever created, sensitive entries are
// refused unless asked for, each file is written to a temporary beside it and renamed over,
// and nothing at all is written when the checkout changed since the job saw it.
#ifndef SANDBOX_WORKSPACE_APPLY_H_
#define SANDBOX_WORKSPACE_APPLY_H_

#include <string>
#include <vector>

#include "common/result.h"
#include "workspace/changes.h"

namespace sandbox::workspace {

struct ApplyRequest {
  int checkout = -1;  // the checkout's top level (any descriptor of the directory)
  int source = -1;    // where the new content is, by the same relative paths (the upper dir)
  std::vector<std::string> paths;  // only these (and what is below them); empty: everything
  bool include_protected = false;  // also vcs, protected, exec, symlink-outside, hardlink,
                                   // bytecode
};

struct ApplyResult {
  std::vector<std::string> applied;  // paths written or removed
  // "PATH: why" for each change not applied: refused (device, setuid, sensitive without
  // --include-protected), or a conflict (the checkout differs from what the job saw). Any
  // conflict stops the whole apply before it writes anything.
  std::vector<std::string> refused;
  std::vector<std::string> conflicts;
  // Python bytecode the job wrote (flag `bytecode`): derived data the host's Python compiles
  // again from the sources, and code no diff shows, so left out without counting as refused
  // (--include-protected applies it).
  std::vector<std::string> skipped;
};

/// Checks every selected change against the checkout, then, when there is no conflict,
/// applies the ones not refused. An Error is a failure part-way (a write that failed): what
/// was applied before it stays applied, each file whole.
Result<ApplyResult> Apply(const std::vector<Change>& changes, const ApplyRequest& request);

/// Removes `name` under `dir` and, for a directory, everything below it: descriptors only,
/// never a symlink followed (a symlink is removed, not what it names). Absent: done.
Result<void> RemoveTree(int dir, const std::string& name);

/// True if `path` is one of `selected` or below one; everything when `selected` is empty.
bool Selected(const std::string& path, const std::vector<std::string>& selected);

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_APPLY_H_

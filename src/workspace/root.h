// Finding the workspace (the project a run works on) and refusing directories that are not a
// project: the whole filesystem, the caller's home or what holds it, system directories.
#ifndef SANDBOX_WORKSPACE_ROOT_H_
#define SANDBOX_WORKSPACE_ROOT_H_

#include <string>
#include <vector>

#include "common/result.h"

namespace sandbox::workspace {

/// The caller's home directories: $HOME and the password database's, canonical, either may be
/// empty.
struct Homes {
  std::vector<std::string> dirs;
};

/// The top level of the git work tree holding `cwd` (the nearest directory with a `.git`
/// entry, as git finds it), else `cwd` itself. The search never reaches a home directory or
/// above it, and stops at a filesystem boundary, as git does. `cwd` is canonical.
/// `found_by` gets "git work tree" or "working directory".
std::string FindRoot(const std::string& cwd, const Homes& homes, std::string* found_by);

/// Refuses a workspace that is `/`, a home directory or any ancestor of one, a system
/// directory (/usr, /etc, /var, /tmp, ... themselves; anything under /usr, /etc, /boot, /proc,
/// /sys, /dev, /run), or, unless `explicit_dir`, a dot-directory of a home (~/.ssh,
/// ~/.config/...). The error says why and how to name the project instead. `root` is
/// canonical.
Result<void> CheckRoot(const std::string& root, const Homes& homes, bool explicit_dir);

/// True if `dir` is `path` or one of its ancestors (both canonical).
bool IsAncestorOrSelf(const std::string& dir, const std::string& path);

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_ROOT_H_

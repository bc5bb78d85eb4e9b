// The paths of a writable directory that the host later runs or trusts (VCS metadata, editor
// and direnv settings, what a profile adds): bound read-only over themselves, or watched when
// they cannot be bound (absent, or a symlink, which is never followed).
#ifndef SANDBOX_WORKSPACE_PROTECT_H_
#define SANDBOX_WORKSPACE_PROTECT_H_

#include <string>
#include <string_view>
#include <vector>

#include "cli/options.h"
#include "workspace/layout.h"

namespace sandbox::workspace {

/// VCS metadata directories (or git's `.git` file), read-only unless vcs = "rw".
inline constexpr std::string_view kVcsNames[] = {".git", ".hg", ".svn", ".bzr", ".jj"};
/// Other paths the host executes or trusts from a checkout, read-only by default.
/// `.husky` and `.pre-commit-config.yaml`: what the git hooks of husky and pre-commit run.
inline constexpr std::string_view kTrustedNames[] = {".envrc", ".vscode", ".idea", ".husky",
                                                     ".pre-commit-config.yaml"};

/// What lefthook's git hooks read at every run (lefthook.dev/configuration): its configuration
/// and the `-local` one merged into it (untracked by design, so a job's never shows in
/// `git status`), in each format, with or without the dot, and without it under .config/;
/// and its script directories. A `lefthook` key there names the command every hook runs.
inline constexpr std::string_view kHookManagerPaths[] = {"lefthook.yml",
                                                         "lefthook.yaml",
                                                         "lefthook.toml",
                                                         "lefthook.json",
                                                         "lefthook.jsonc",
                                                         "lefthook-local.yml",
                                                         "lefthook-local.yaml",
                                                         "lefthook-local.toml",
                                                         "lefthook-local.json",
                                                         "lefthook-local.jsonc",
                                                         ".lefthook.yml",
                                                         ".lefthook.yaml",
                                                         ".lefthook.toml",
                                                         ".lefthook.json",
                                                         ".lefthook.jsonc",
                                                         ".lefthook-local.yml",
                                                         ".lefthook-local.yaml",
                                                         ".lefthook-local.toml",
                                                         ".lefthook-local.json",
                                                         ".lefthook-local.jsonc",
                                                         ".config/lefthook.yml",
                                                         ".config/lefthook.yaml",
                                                         ".config/lefthook.toml",
                                                         ".config/lefthook.json",
                                                         ".config/lefthook.jsonc",
                                                         ".config/lefthook-local.yml",
                                                         ".config/lefthook-local.yaml",
                                                         ".config/lefthook-local.toml",
                                                         ".config/lefthook-local.json",
                                                         ".config/lefthook-local.jsonc",
                                                         ".lefthook",
                                                         ".lefthook-local"};

struct ProtectRequest {
  std::string host_dir;  // canonical host directory bound writable
  std::string target;    // where it appears inside the sandbox
  bool vcs_writable = false;
  std::vector<std::string> protect;    // relative paths besides the defaults
  std::vector<std::string> unprotect;  // defaults left writable
  // The caller's and the system's git configuration files (their core.hooksPath applies to
  // this repository too) and the home a "~/" in them means.
  std::vector<std::string> git_configs;
  std::string home;
};

/// Adds to `paths` every protected path of the bind, and to `mounts` a read-only bind for each
/// one present as a file or directory. A `.git` file (linked worktree, submodule) whose
/// gitdir lies outside the directory and points back to it also gets that gitdir (and its
/// common dir) bound read-only at its own path, so git works inside; one that does not point
/// back gets a note instead. Submodules' `.git` entries named by `.gitmodules` are protected
/// too, and so is the directory git runs hooks from when a `core.hooksPath` (of the
/// repository's configuration or of `git_configs`, and of the files they include) names one
/// inside the bound directory, and a configuration file inside it that they include.
/// Only lstat, open and read; never follows a symlink at a protected path.
void Protect(const ProtectRequest& request, std::vector<ProtectedPath>* paths,
             std::vector<cli::MountRequest>* mounts, std::vector<std::string>* notes);

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_PROTECT_H_

// The workspace stage of a run (between loading the profile and building the Policy): finds
// and checks the project, turns the workspace, its protected paths and the caches into
// ordinary mount requests, and says what it decided in a Layout.
#ifndef SANDBOX_WORKSPACE_PREPARE_H_
#define SANDBOX_WORKSPACE_PREPARE_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "cli/options.h"
#include "common/result.h"
#include "workspace/layout.h"
#include "workspace/root.h"

namespace sandbox::workspace {

/// What the stage needs of the caller; injected so tests do not depend on the machine.
struct Context {
  std::string cwd;  // canonical
  Homes homes;
  std::string cache_home;  // $XDG_CACHE_HOME when absolute, else $HOME/.cache; "" if neither
  uid_t uid = 0;
  /// The caller's and the system's git configuration files, where they may be, and the home
  /// a "~/" in them means (their core.hooksPath names hook directories to protect).
  std::vector<std::string> git_configs;
  std::string home;
  /// The caller's PATH and LD_LIBRARY_PATH (path_watch.h): what the shell and the loader
  /// search after the run; null when unset.
  std::optional<std::string> path_env;
  std::optional<std::string> library_path_env;
  /// False for `sandbox show`: decide everything, create and lock nothing.
  bool create = true;

  static Context FromProcess(const std::string& cwd);
};

/// Rewrites `options` (profile mounts first, then the workspace's bind, the caches, the
/// flags' mounts, and last the read-only binds of protected paths, so no earlier bind of the
/// same directory undoes them) and returns the Layout. Every writable bind of a directory
/// (the workspace, a profile's or a flag's) gets its protected paths. Creates cache
/// directories. Fails, before anything runs, on a refused workspace, an unknown --cache name
/// or a cache directory that is not the caller's.
Result<Layout> Prepare(cli::CliOptions* options, const Context& context);

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_PREPARE_H_

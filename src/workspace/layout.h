// Layout: what the workspace stage decided for one run (the project's top level, the paths
// kept read-only or watched, the caches and how each is kept), for `show`, the report and the
// check after the run. The mounts themselves are ordinary MountRequests (see prepare.h).
#ifndef SANDBOX_WORKSPACE_LAYOUT_H_
#define SANDBOX_WORKSPACE_LAYOUT_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "workspace/path_watch.h"
#include "workspace/tool_configs.h"

namespace sandbox::workspace {

/// A path the job must not change. Present files and directories are bound read-only over
/// themselves; an absent path (or a symlink, which is never followed) cannot be bound, so it
/// is watched: whatever stands there after the run that did not before is moved aside.
struct ProtectedPath {
  std::string path;        // absolute host path
  std::string reason;      // "vcs", "listed" (defaults and protect), "gitdir", "submodule", "cwd"
  bool read_only = false;  // bound read-only; false: watched
  // Watched only: what stood there at the start (a symlink's inode), 0 when absent.
  dev_t dev = 0;
  ino_t ino = 0;
};

/// One cache as this run uses it.
struct CacheUse {
  std::string name;
  std::string target;  // inside the sandbox
  std::string share;   // "sandbox" | "host" | "run"
  std::string dir;     // the sandbox's own cache directory ("" for host and run)
  std::string host;    // the host's cache shown beneath, or bound for share = host; "" if none
  std::string how;     // one line for people: "overlay on the host's cache", ...
};

struct Layout {
  std::string root;      // the workspace's top level on the host; "" without a workspace
  std::string found_by;  // "git work tree", "working directory" or "--workspace"
  bool vcs_writable = false;
  bool overlay = false;  // --workspace overlay: the job's writes land in an overlay's upper layer
  std::vector<ProtectedPath> protected_paths;
  std::vector<CacheUse> caches;
  std::vector<std::string> notes;  // said on stderr before the run ("cache x in use ...")
  /// The caller's PATH and LD_LIBRARY_PATH, with the directories the job could write
  /// (path_watch.h); empty when none lies in a writable bind.
  std::vector<WatchedSearchPath> search_paths;
  /// Tool configuration that can name a program (tool_configs.h) at the top of each writable
  /// directory bind and in each directory from the working directory up to the workspace's top.
  std::vector<ToolConfigState> tool_configs;
  /// Held for the run: the workspace's top level (for the check after it) and cache locks.
  UniqueFd root_fd;
  std::vector<UniqueFd> locks;
};

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_LAYOUT_H_

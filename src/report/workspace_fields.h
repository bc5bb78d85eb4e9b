// The report's `workspace` and `caches` fields (docs/report.md): what the workspace stage
// decided and what the check after the run moved aside, as plain data.
#ifndef SANDBOX_REPORT_WORKSPACE_FIELDS_H_
#define SANDBOX_REPORT_WORKSPACE_FIELDS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace sandbox::report {

class JsonWriter;

struct ProtectedReport {
  std::string path;
  std::string reason;      // "vcs", "listed", "gitdir", "submodule", "cwd"
  bool read_only = false;  // else watched
};

struct MovedReport {
  std::string path;
  std::string moved_to;  // "" when it could not be moved
  std::string error;
};

/// A command the job left in a directory of the caller's PATH, found there before `shadows`.
struct PathShadowReport {
  std::string variable;  // "PATH", "LD_LIBRARY_PATH"
  std::string path;
  std::string shadows;
  std::string change;  // "created", "changed"
};

/// Tool configuration the job created or changed that can name a program the tool runs.
struct ToolConfigReport {
  std::string path;
  std::string tool;    // "cargo", "npm", ...
  std::string change;  // "created", "changed"
};

/// One entry of the change list of a --workspace overlay run (docs/workspace.md).
struct ChangeEntry {
  std::string path;                // relative to the workspace's top level
  std::string change;              // "added", "modified", "deleted"
  std::string type;                // "file", "dir", "symlink", "device", "fifo", "socket"
  unsigned mode = 0;               // permission bits (07777); deleted: the checkout's
  uint64_t size = 0;               // files: bytes; symlinks: the target's length
  std::string sha256;              // files (added, modified): the new content; "" otherwise
  std::string base_sha256;         // modified or deleted files: the checkout's content when listed
  std::string link;                // symlinks: the target text
  std::vector<std::string> flags;  // sensitive: vcs, protected, exec, symlink-outside, device,
                                   // setuid, setgid, hardlink, special
};

struct WorkspaceReport {
  std::string root;
  std::string found_by;
  bool vcs_writable = false;
  bool overlay = false;  // mode "overlay", else "bind"
  std::vector<ProtectedReport> protected_paths;
  std::vector<MovedReport> moved_aside;
  std::vector<PathShadowReport> path_shadows;
  std::vector<ToolConfigReport> tool_configs;
};

struct CacheReport {
  std::string name;
  std::string target;
  std::string share;
  std::string dir;   // "" for host and run
  std::string host;  // "" when none
  std::string how;
};

/// Writes `"workspace": {...} or null, "caches": [...]` into an open object.
void WriteWorkspaceFields(JsonWriter& json, const WorkspaceReport* workspace,
                          const std::vector<CacheReport>& caches);

/// Writes `"changes": [...]`, or null (no overlay workspace, or the list could not be made).
void WriteChanges(JsonWriter& json, const std::vector<ChangeEntry>* changes);

}  // namespace sandbox::report

#endif  // SANDBOX_REPORT_WORKSPACE_FIELDS_H_

// The report's `workspace` and `caches` fields (docs/report.md): what the workspace stage
// decided and what the check after the run moved aside, as plain data.
#ifndef SANDBOX_REPORT_WORKSPACE_FIELDS_H_
#define SANDBOX_REPORT_WORKSPACE_FIELDS_H_

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

struct WorkspaceReport {
  std::string root;
  std::string found_by;
  bool vcs_writable = false;
  std::vector<ProtectedReport> protected_paths;
  std::vector<MovedReport> moved_aside;
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

}  // namespace sandbox::report

#endif  // SANDBOX_REPORT_WORKSPACE_FIELDS_H_

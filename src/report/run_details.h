// RunDetails: what a CI user asks of a report after a failure, beyond how the run ended:
// the timeout in force, every mount (present or not), the environment's names and the
// processes killed at the end. Its own struct and renderer so the report's other parts grow
// beside it without touching it.
#ifndef SANDBOX_REPORT_RUN_DETAILS_H_
#define SANDBOX_REPORT_RUN_DETAILS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report/json_writer.h"

namespace sandbox::report {

struct ReportedMount {
  std::string type;    // MountKindName: "ro-bind", "tmpfs", ...
  std::string source;  // host path (binds), link text (symlink); "" for none
  std::string target;
  std::optional<bool> read_only;  // nullopt where it is not a mount's property (dir, symlink)
  bool optional = false;          // a missing source skips it
  bool present = true;            // false: optional and its source missing, so not mounted
  std::string origin;             // the flag or profile line that asked for it
};

struct RunDetails {
  std::optional<double> timeout_seconds;  // nullopt: no timeout
  double timeout_grace_seconds = 0;
  std::vector<ReportedMount> mounts;  // in the order they are made
  // Names (never values) of the caller's variables: let in, kept out as secret-looking,
  // and the rest. `set` are the names the profile and flags gave the job.
  std::vector<std::string> env_passed;
  std::vector<std::string> env_denied;
  std::vector<std::string> env_dropped;
  std::vector<std::string> env_names;  // every name in the job's environment
  std::optional<uint64_t> leftover_processes_killed;
};

/// Writes "timeout_seconds" and "timeout_grace_seconds" into the open `limits` object.
void WriteTimeoutLimits(JsonWriter& json, const RunDetails& details);

/// Writes the keys "mounts", "env" and "leftover_processes_killed" into the open document.
void WriteRunDetails(JsonWriter& json, const RunDetails& details);

}  // namespace sandbox::report

#endif  // SANDBOX_REPORT_RUN_DETAILS_H_

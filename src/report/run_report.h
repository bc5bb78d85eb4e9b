// RunReport: everything the JSON run report (`--report`, docs/report.md) says about one run,
// as plain data, and its rendering. The app fills it from the Policy, the Outcome and the
// setup steps; this layer knows neither the Policy nor the supervisor.
#ifndef SANDBOX_REPORT_RUN_REPORT_H_
#define SANDBOX_REPORT_RUN_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "report/exit_code.h"
#include "report/outcome.h"
#include "report/run_details.h"
#include "report/workspace_fields.h"

namespace sandbox::report {

/// Bumped on any incompatible change to the document (docs/report.schema.json).
inline constexpr int kReportSchemaVersion = 1;

struct StepTiming {
  std::string step;    // SetupStepName(), e.g. "bind"
  std::string target;  // the mount target inside the sandbox, "" when the step has none
  int64_t nanoseconds = 0;
};

struct ReportedLimit {
  std::string name;               // "nofile"
  std::optional<uint64_t> value;  // nullopt: unlimited
};

/// Why the sandbox (not the job) failed: a setup step in the child, an execve, or a step in the
/// supervisor before the job existed ("build policy", "clone").
struct Failure {
  std::string step;
  int error = 0;       // errno, 0 if none
  std::string path;    // as the user knows it
  std::string detail;  // extra words from the step
  std::string flag;    // the flag (or profile line) that asked for the failing mount
};

struct RunReport {
  std::string sandbox_version;
  std::string started_at;                   // UTC, RFC 3339 ("2024-05-01T12:00:00Z")
  std::optional<std::string> profile_name;  // as asked for: "cc" or a path; null without one
  std::vector<std::string> profile_names;   // each --profile in order (composed left to right)
  std::vector<std::string> profile_files;   // every profile file applied, in order
  std::optional<std::string> profile_path;  // the file found
  std::optional<std::string> profile_hash;  // "sha256:..." of the extends chain (ProfileHash)
  std::vector<std::string> command;

  std::string outcome = "exited";  // exited signaled timeout limit setup-failed exec-failed lost
  int exit_code = 0;               // the sandbox's own exit status
  std::optional<int> job_exit_code;
  std::optional<int> signal;
  std::string limit;  // outcome "limit": memory, cpu or fsize
  std::optional<Failure> error;
  std::string message;  // the "sandbox: ..." line printed on stderr, "" when none

  double wall_seconds = 0;
  std::vector<StepTiming> setup_steps;
  std::optional<Outcome::Usage> usage;
  std::optional<uint64_t> memory_peak_bytes;  // the run's cgroup, with cgroup limits only
  uint64_t oom_kills = 0;
  std::string seccomp_policy = "default";     // "default" | "none"
  std::optional<std::string> seccomp_action;  // null with policy "none"
  std::vector<SeccompDenial> seccomp_denials;
  std::vector<FullTmpfs> full_tmpfs;
  // "none" (lo only), "host", "allow-list" or "log" (docs/network.md), and with an allow-list
  // every destination the job asked for.
  std::string network_mode = "none";
  std::vector<NetworkDestination> network;

  std::vector<std::string> namespaces;  // "user", "mount", ...
  int landlock_abi = 0;                 // 0: not applied
  std::string isolation;                // "namespaces" | "landlock"; "" (null): no policy yet
  std::vector<ReportedLimit> rlimits;
  std::optional<uint64_t> cgroup_memory_max;
  std::optional<uint64_t> cgroup_pids_max;
  std::optional<uint64_t> cgroup_cpu_quota_us;

  std::optional<WorkspaceReport> workspace;  // null: the run had no workspace
  std::vector<CacheReport> caches;
  // --workspace overlay: the change list; null without an overlay workspace or a list.
  std::optional<std::vector<ChangeEntry>> changes;
  RunDetails details;  // timeout, mounts, env names, leftovers (report/run_details.h)
};

/// Sets the outcome fields (outcome, exit_code, job_exit_code, signal, limit, error, message,
/// usage, cgroup usage) from the supervisor's Outcome. Call after `rlimits` is filled: a job
/// killed by SIGXCPU or SIGXFSZ under a cpu or fsize limit is reported as outcome "limit".
void SetOutcome(const Outcome& outcome, const OpDescriber& describe_op, RunReport* report);

/// Sets the outcome fields for a run that failed before the sandbox existed (exit 125). `flag`:
/// where the failing request came from (a flag or profile line), may be "".
void SetEarlyFailure(std::string step, int error, std::string flag, std::string message,
                     RunReport* report, std::string path = "");

/// "sha256:<hex>" over the profile files of an extends chain, base first, each as its length in
/// bytes (decimal), a newline, and its content. `contents` are the files' bytes.
std::string ProfileHash(const std::vector<std::string>& contents);

/// The report as a JSON document (indented, ending in a newline).
std::string RenderReport(const RunReport& report);

}  // namespace sandbox::report

#endif  // SANDBOX_REPORT_RUN_REPORT_H_

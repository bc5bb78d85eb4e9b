// ReportWriter: the `--report FILE` / `--report-fd N` side of a run. Opens the destinations
// before anything runs, collects the setup steps as a RunObserver, and writes one JSON
// document (docs/report.md) however the run ends, once the command line has parsed.
#ifndef SANDBOX_APP_REPORT_WRITER_H_
#define SANDBOX_APP_REPORT_WRITER_H_

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/options.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "launch/supervisor.h"
#include "policy/policy.h"
#include "report/exit_code.h"
#include "report/run_report.h"

namespace sandbox::app {

/// Where `--report FILE` goes: FILE's directory, opened before the run, and FILE's name in it.
struct ReportDirectory {
  UniqueFd fd;
  std::string name;
  std::string path;  // canonical
};

class ReportWriter : public launch::RunObserver {
 public:
  /// Null when the options ask for no report. Fails (before the job runs) when FILE cannot be
  /// created or N is not a descriptor open for writing; descriptors 0-2 are refused, since the
  /// job's stdio is never touched.
  static Result<std::unique_ptr<ReportWriter>> Open(const cli::CliOptions& options);

  /// Records what the Policy puts in force: namespaces, Landlock ABI, limits, the mount list
  /// (to name step targets).
  void SetPolicy(const policy::Policy& policy);

  /// Records the profiles: their names as asked for (several when composed), the last file
  /// applied, every file applied in order (`chain`), and the hash of those files
  /// (report::ProfileHash; null when one of them cannot be read again).
  void SetProfile(const std::vector<std::string>& names, const std::string& path,
                  const std::vector<std::string>& chain);

  /// Records the workspace stage's decisions (`workspace` and `caches`).
  void SetWorkspace(report::WorkspaceReport workspace, std::vector<report::CacheReport> caches);
  /// Records what the check after the run moved aside.
  void SetMovedAside(std::vector<report::MovedReport> moved);
  /// Records the commands the job left first on the caller's PATH.
  void SetPathShadows(std::vector<report::PathShadowReport> shadows);
  /// Records the tool configuration the job created or changed.
  void SetToolConfigs(std::vector<report::ToolConfigReport> configs);
  /// Records the change list of a --workspace overlay run.
  void SetChanges(std::vector<report::ChangeEntry> changes);
  /// The run's exit status when what came after the job changed it (--changes fail, apply).
  void SetExitCode(int code);

  void OnStep(const Record& record) override;
  void OnFinished(const report::Outcome& outcome) override;
  bool WantsUsage() const override { return true; }

  /// Writes the report of a run that reached the supervisor's end. Problems writing are
  /// printed on stderr; the run's exit status is not changed by them.
  void WriteOutcome(const report::Outcome& outcome, const report::OpDescriber& describe_op);
  /// Writes the report of a run that failed before the job could start (exit 125).
  void WriteEarlyFailure(const char* step, const Error& error);

 private:
  ReportWriter() = default;
  void Write();

  report::RunReport report_;
  const policy::Policy* policy_ = nullptr;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  bool stopped_ = false;
  std::string path_;  // --report FILE, for messages
  ReportDirectory dir_;
  int fd_ = -1;  // --report-fd N (not owned)
  std::optional<int> exit_code_;
};

}  // namespace sandbox::app

#endif  // SANDBOX_APP_REPORT_WRITER_H_

// The subcommands besides running a job (`sandbox check`, `sandbox ps`, ...): each lives in its
// own file under app/ and is listed in subcommands.cc.
#ifndef SANDBOX_APP_SUBCOMMANDS_H_
#define SANDBOX_APP_SUBCOMMANDS_H_

#include <string>

#include "cli/options.h"
#include "launch/plan_builder.h"
#include "launch/supervisor.h"

namespace sandbox::app {

/// argv[0] is the subcommand's name; returns the process exit status.
using SubcommandMain = int (*)(int argc, char** argv, const launch::ProcessImage& image);

struct Subcommand {
  const char* name;
  const char* summary;  // one line for `sandbox --help`
  SubcommandMain main;
};

/// "Commands ..." and a line per subcommand with its summary, for the end of `sandbox --help`
/// (whose text already ends in a blank line).
std::string SubcommandsHelp();

/// The subcommand named `name`, or null: then argv is a run (`sandbox [FLAGS] -- COMMAND`).
const Subcommand* FindSubcommand(const char* name);

/// Runs a job: the default when no subcommand is named. argv[0] is the program name.
int RunJobCommand(int argc, char** argv, const launch::ProcessImage& image);

/// The words and status of the sandbox's own failures.
struct RunStyle {
  const char* prefix = "sandbox: ";
  int failure_exit = 125;
  bool exec_failure_too = false;  // 126/127 become failure_exit as well (bubblewrap: all 1)
  bool bubblewrap_words = false;  // failures worded as bubblewrap words them
};

/// Runs a job from options already parsed (by CLI11, or by the bwrap front end). `observer`,
/// if given, also sees the run (bwrap's --info-fd). Returns only when the sandbox could not
/// start; a run that started ends the process with its exit status (app/run.cc, ExitAfterRun).
int RunWithOptions(const cli::CliOptions& options, const launch::ProcessImage& image,
                   const RunStyle& style, launch::RunObserver* observer = nullptr);

/// bubblewrap's command line (app/bwrap.cc): `sandbox bwrap ARGS`, or argv[0] "bwrap".
int BwrapMain(int argc, char** argv, const launch::ProcessImage& image);

/// `sandbox doctor`: checks the host (app/doctor.cc).
int DoctorMain(int argc, char** argv, const launch::ProcessImage& image);

/// `sandbox check PROFILE...` (app/check.cc).
int CheckMain(int argc, char** argv, const launch::ProcessImage& image);

/// `sandbox ps [--json]` (app/ps.cc).
int PsMain(int argc, char** argv, const launch::ProcessImage& image);

/// `sandbox enter NAME [-- COMMAND]` (app/enter.cc).
int EnterMain(int argc, char** argv, const launch::ProcessImage& image);

/// `sandbox stop NAME [--signal SIG] [--grace DURATION]` (app/stop.cc).
int StopMain(int argc, char** argv, const launch::ProcessImage& image);

/// `sandbox shell [FLAGS]` (app/shell.cc).
int ShellMain(int argc, char** argv, const launch::ProcessImage& image);

/// `sandbox step --profile /ABS --report-dir DIR [FLAGS] -- COMMAND` (app/step.cc).
int StepMain(int argc, char** argv, const launch::ProcessImage& image);

/// `sandbox show PROFILE [--json] [-- COMMAND]` (app/show.cc).
int ShowMain(int argc, char** argv, const launch::ProcessImage& image);

/// `sandbox changes|diff|apply|discard NAME`: a --keep-changes run's changes (kept_commands.cc).
int ChangesMain(int argc, char** argv, const launch::ProcessImage& image);
int DiffMain(int argc, char** argv, const launch::ProcessImage& image);
int ApplyMain(int argc, char** argv, const launch::ProcessImage& image);
int DiscardMain(int argc, char** argv, const launch::ProcessImage& image);

}  // namespace sandbox::app

#endif  // SANDBOX_APP_SUBCOMMANDS_H_

// `sandbox [FLAGS] -- COMMAND`: parse, build the policy, launch, report.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/after_changes.h"
#include "app/profiles.h"
#include "app/report_writer.h"
#include "app/run_registry.h"
#include "app/subcommands.h"
#include "app/workspace_report.h"
#include "bwrap/args.h"
#include "cli/parse.h"
#include "common/exit_status.h"
#include "launch/supervisor.h"
#include "launch/user_limits.h"
#include "policy/build.h"
#include "policy/from_profile.h"
#include "policy/hidden_from_job.h"
#include "policy/landlock_only.h"
#include "report/bwrap_message.h"
#include "report/exit_code.h"
#include "workspace/after_run.h"
#include "workspace/changes.h"
#include "workspace/prepare.h"

namespace sandbox::app {
namespace {

bool HasOwnDev(const policy::Policy& policy) {
  for (const policy::MountOp& op : policy.mounts()) {
    if (op.kind == MountKind::kDev && op.target == "/dev") return true;
  }
  return false;
}

// How the run speaks: "sandbox: " and 125 for a sandbox failure, or bubblewrap's "bwrap: "
// and 1 in bwrap mode.
RunStyle g_style;

int Fatal(const Error& error) {
  std::fprintf(stderr, "%s%s\n", g_style.prefix, error.ToString().c_str());
  return g_style.failure_exit;
}

// `sandbox step`'s last line, for the engine's log: how the step ended and where the report is.
std::string StepSummary(const std::string& name, const report::Outcome& outcome, int code,
                        double seconds, const std::string& report_path) {
  std::string how;
  switch (outcome.kind) {
    case report::Outcome::Kind::kExited:
      how = "exited " + std::to_string(code);
      break;
    case report::Outcome::Kind::kSignaled: {
      const char* abbrev = sigabbrev_np(outcome.signal);
      how = "signaled " +
            (abbrev != nullptr ? "SIG" + std::string(abbrev) : std::to_string(outcome.signal)) +
            " (" + std::to_string(code) + ")";
      break;
    }
    case report::Outcome::Kind::kTimedOut:
      how = "timed out (" + std::to_string(code) + ")";
      break;
    case report::Outcome::Kind::kSetupFailed:
    case report::Outcome::Kind::kLost:
      how = "sandbox failed (" + std::to_string(code) + ")";
      break;
    case report::Outcome::Kind::kExecFailed:
      how = "command not run (" + std::to_string(code) + ")";
      break;
  }
  char elapsed[32];
  std::snprintf(elapsed, sizeof(elapsed), "%.2f", seconds);
  return "sandbox: step " + name + ": " + how + " after " + elapsed + " s; report " + report_path;
}

// A "sandbox: ..." line in the style's words.
std::string Styled(const std::string& line) {
  const std::string kOwn = "sandbox: ";
  if (line.rfind(kOwn, 0) != 0) return line;
  return g_style.prefix + line.substr(kOwn.size());
}

// --verbose: what came after the job, in the setup steps' format (scripts/bench reads it).
void PrintTiming(std::chrono::steady_clock::time_point started, const char* what) {
  std::chrono::duration<double, std::milli> took = std::chrono::steady_clock::now() - started;
  std::fprintf(stderr, "sandbox: %8.3f ms  %s\n", took.count(), what);
}

// The run is over and everything it says is said. What `return` would still do is free the
// policy, the plan and the options, and run libc's exit handlers: writes to pages the
// supervisor still shares copy-on-write with pid 1's image (about 20 faults per run, each
// 10-25 µs on a shadow-paging VM, on the path between the job's exit and the caller's). None
// of it has an effect outside this process, so the process ends here instead.
[[noreturn]] void ExitAfterRun(int code) {
  std::fflush(nullptr);
  ::_exit(code);
}

}  // namespace

int RunJobCommand(int argc, char** argv, const launch::ProcessImage& image) {
  auto parsed = cli::Parse(argc, argv);
  if (!parsed) {
    // A client that resolved a symlink named bwrap before exec reached the binary as
    // `sandbox` with bubblewrap's options: say where bwrap mode is.
    Error error = parsed.error();
    if (bwrap::HasBubblewrapOnlyOption({argv + 1, argv + argc})) {
      error.hint =
          "these are bubblewrap's options: run `sandbox bwrap ...`, or the bwrap drop-in (a "
          "hard link named bwrap, not a symlink: see `sandbox bwrap --help`)";
    }
    return Fatal(error);
  }
  if (parsed->exit_now) {
    std::fputs(parsed->text.c_str(), stdout);
    if (parsed->help) (void)std::fputs(SubcommandsHelp().c_str(), stdout);
    return *parsed->exit_now;
  }
  return RunWithOptions(parsed->options, image, RunStyle{});
}

int RunWithOptions(const cli::CliOptions& parsed_options, const launch::ProcessImage& image,
                   const RunStyle& style, launch::RunObserver* observer) {
  g_style = style;
  // --report: from here on every way the run ends writes one report.
  auto opened = ReportWriter::Open(parsed_options);
  if (!opened) return Fatal(opened.error());
  std::unique_ptr<ReportWriter> reporter = std::move(opened).value();
  auto fail = [&reporter](const char* step, const Error& error) {
    if (reporter) reporter->WriteEarlyFailure(step, error);
    return Fatal(error);
  };

  // --profile: the profile's settings first, the flags after them.
  cli::CliOptions options = parsed_options;
  policy::Caller caller = policy::Caller::FromProcess();
  if (!options.profiles.empty()) {
    profile::LoadResult loaded = LoadProfiles(options.profiles);
    if (!loaded.ok()) {
      for (size_t i = 1; i < loaded.errors.size(); ++i) (void)Fatal(loaded.errors[i]);
      return fail("load profile", loaded.errors[0]);
    }
    if (reporter) reporter->SetProfile(loaded.spec.names, loaded.spec.path, loaded.spec.chain);
    auto combined = policy::CombineWithProfile(loaded.spec, options, caller);
    if (!combined) return fail("load profile", combined.error());
    options = std::move(combined).value();
  }
  // The workspace, its protected paths and the caches become mounts (never in bwrap mode,
  // which does exactly what bubblewrap's options say).
  // auto is settled before the workspace stage, which lays caches out differently where there
  // is no mount namespace (workspace/caches.h); Build then sees the mode chosen.
  if (!options.bwrap && options.isolation == "auto") options.isolation = caller.AutoIsolation();
  workspace::Layout layout;
  if (!options.bwrap) {
    auto prepared = workspace::Prepare(&options, workspace::Context::FromProcess(caller.cwd));
    if (!prepared) return fail("prepare workspace", prepared.error());
    layout = std::move(prepared).value();
    for (const std::string& note : layout.notes) {
      std::fprintf(stderr, "sandbox: note: %s\n", note.c_str());
    }
    if (reporter) reporter->SetWorkspace(WorkspaceReportOf(layout), CacheReportsOf(layout));
  }
  const cli::WorkspaceRequest& ws = options.workspace;
  if (!layout.overlay && (ws.changes || ws.keep_changes || ws.include_protected)) {
    Error e = MakeError(std::string(ws.changes        ? "--changes"
                                    : ws.keep_changes ? "--keep-changes"
                                                      : "--include-protected") +
                        " needs the workspace overlay");
    e.hint = "add --workspace overlay (or [workspace] mode = \"overlay\" in the profile)";
    return fail("prepare workspace", e);
  }
  auto policy = policy::Build(options, caller);
  if (!policy) return fail("build policy", policy.error());
  for (const std::string& note : policy->notes()) {
    std::fprintf(stderr, "sandbox: note: %s\n", note.c_str());
  }
  if (options.report_hidden_from_job && options.report_path) {
    const std::string& report = *options.report_path;
    std::string dir = report.substr(0, report.rfind('/'));
    if (auto hidden = policy::CheckHiddenFromJob(policy->mounts(), dir.empty() ? "/" : dir);
        !hidden) {
      return fail("build policy", hidden.error());
    }
  }
  if (policy->host_proc() && !launch::CallersProcSysUserWritable()) {
    std::fprintf(stderr,
                 "sandbox: note: --host-proc: this /proc/sys is masked or read-only, so the "
                 "job's share of per-user kernel objects (inotify, fanotify, namespaces) is not "
                 "bounded (docs/ci.md)\n");
  }
  if (reporter) reporter->SetPolicy(*policy);
  // Never a weaker run without a word: what this isolation lacks, every time.
  if (std::string note = policy::IsolationNote(*policy); !note.empty()) {
    std::fprintf(stderr, "sandbox: %s\n", note.c_str());
  }

  auto plan = launch::BuildChildPlan(*policy, image);
  if (!plan) return fail("build plan", plan.error());
  if (reporter) (*plan)->report_steps = true;  // the report lists each step's duration

  // The run's entry for `sandbox ps`, `enter` and `stop`. A run that was not asked for by name
  // goes on without one when the directory is unusable (say, inside another user namespace),
  // with a note; a named run refuses, since its name would be a promise it cannot keep.
  auto registry = RunRegistry::Open();
  if (!registry) {
    if (options.name) return fail("register run", registry.error());
    // bwrap mode says nothing bubblewrap would not (a nested bwrap meets this every time).
    if (!options.bwrap) {
      std::fprintf(stderr, "sandbox: note: this run is not listed by sandbox ps: %s\n",
                   registry.error().ToString().c_str());
    }
  }
  launch::RunState state;
  state.name = options.name.value_or(GenerateRunName());
  if (auto r = CheckRunName(state.name); !r) return fail("register run", r.error());
  for (const std::string& name : options.profiles) {
    state.profile += (state.profile.empty() ? "" : ",") + name;
  }
  state.command = policy->command();
  state.namespaces = policy->namespaces();
  state.has_dev = policy->terminal() || HasOwnDev(*policy);
  state.cgroup_limits = policy->cgroup().any();
  if (policy->seccomp()) state.seccomp_settings = *policy->seccomp();
  launch::CaptureJobSide(**plan, &state);
  // The name is claimed before the sandbox starts: of two runs started at once with one name,
  // one is refused here. A generated name that happens to be taken is drawn again. The full
  // entry is written once pid 1 reports the sandbox built, off the start-up path.
  state.supervisor_pid = ::getpid();
  state.supervisor_start = launch::ProcessStartTime(state.supervisor_pid);
  std::optional<RegistryObserver> registered;
  if (registry) {
    auto reserved = registry->Reserve(state.name, state.supervisor_pid, state.supervisor_start);
    for (int redraw = 0; !reserved && !options.name && redraw < 8; ++redraw) {
      state.name = GenerateRunName();
      reserved = registry->Reserve(state.name, state.supervisor_pid, state.supervisor_start);
    }
    if (reserved) {
      registered.emplace(std::move(registry).value(), state);
    } else if (options.name) {
      return fail("register run", reserved.error());
    } else if (!options.bwrap) {
      std::fprintf(stderr, "sandbox: note: this run is not listed by sandbox ps: %s\n",
                   reserved.error().ToString().c_str());
    }
  }
  if (policy->verbose()) std::fprintf(stderr, "sandbox: run name %s\n", state.name.c_str());
  launch::ObserverList observers;
  observers.Add(reporter.get());
  observers.Add(observer);
  if (registered) observers.Add(&*registered);

  std::fflush(nullptr);  // nothing buffered may be written twice by the cloned child
  const auto started = std::chrono::steady_clock::now();
  auto outcome = launch::RunSupervised(*policy, **plan, &observers);
  if (!outcome) return fail("start sandbox", outcome.error());

  auto describe_op = [&](int index) -> std::string {
    if (index < 0 || static_cast<size_t>(index) >= policy->mounts().size()) return "";
    return policy->mounts()[static_cast<size_t>(index)].origin.ToString();
  };
  bool logged = policy->seccomp() && policy->seccomp()->action == seccomp::Action::kLog;
  for (const std::string& line : report::DenialLines(*outcome, logged)) {
    std::fprintf(stderr, "%s\n", Styled(line).c_str());
  }
  // Every process of the job is gone: what it planted where the host would trust it is moved
  // aside before anyone (the report's reader included) looks.
  std::vector<report::MovedReport> moved;
  for (const workspace::MovedAside& m : workspace::MoveAsidePlanted(layout, state.name)) {
    if (m.moved.empty()) {
      std::fprintf(stderr,
                   "sandbox: warning: the job created %s, which the host would trust, "
                   "and it could not be moved aside (%s): remove it before using git there\n",
                   m.path.c_str(), m.error.c_str());
    } else {
      std::fprintf(stderr,
                   "sandbox: the job created %s, which the host would trust; moved it to "
                   "%s (--workspace-vcs rw or --unprotect keeps such writes)\n",
                   m.path.c_str(), m.moved.c_str());
    }
    moved.push_back({m.path, m.moved, m.error});
  }
  if (reporter) reporter->SetMovedAside(std::move(moved));
  // Not moved: installing a tool into an active venv, or building a library, is what a job is
  // for. Said, because the user's shell will take it for a name they think of as the system's.
  std::vector<report::PathShadowReport> shadows;
  for (const workspace::WatchedSearchPath& search : layout.search_paths) {
    for (const workspace::PathShadow& s : workspace::FindPathShadows(search)) {
      std::fprintf(stderr, "sandbox: warning: %s\n", workspace::Warning(s).c_str());
      shadows.push_back({workspace::VariableName(s.kind), s.path, s.shadows, s.change});
    }
  }
  if (reporter) reporter->SetPathShadows(std::move(shadows));
  // Not moved either: builds write some of these legitimately (workspace/tool_configs.h).
  std::vector<report::ToolConfigReport> configs;
  for (const workspace::ToolConfigChange& c :
       workspace::FindToolConfigChanges(layout.tool_configs)) {
    std::fprintf(stderr, "sandbox: warning: %s\n", workspace::Warning(c).c_str());
    configs.push_back({c.path, std::string(c.config->tool), c.change});
  }
  if (reporter) reporter->SetToolConfigs(std::move(configs));
  // --workspace overlay: what the job's writes amount to, read from the upper layer.
  std::optional<std::vector<report::ChangeEntry>> changes;
  auto listing_started = std::chrono::steady_clock::now();
  if (auto listed = ChangesOf(layout, *outcome)) {
    if (policy->verbose()) PrintTiming(listing_started, "list the workspace's changes");
    if (*listed) {
      changes = std::move(*listed).value();
      std::fprintf(stderr, "sandbox: %s\n", workspace::Summary(*changes).c_str());
      if (reporter) reporter->SetChanges(*changes);
    } else {
      std::fprintf(stderr, "sandbox: warning: cannot list the workspace's changes: %s\n",
                   listed->error().ToString().c_str());
    }
  }
  std::string message = report::MessageFor(*outcome, describe_op);
  if (g_style.bubblewrap_words) {
    message = report::BwrapMessageFor(*outcome);
    if (!message.empty()) message = "sandbox: " + message;  // Styled() swaps the prefix
  }
  if (!message.empty()) std::fprintf(stderr, "%s\n", Styled(message).c_str());
  int code = report::ExitCodeFor(*outcome);
  if (changes) {
    auto after_started = std::chrono::steady_clock::now();
    code = AfterChanges(ws, layout, outcome->workspace_changes->get(), *changes, code, state.name);
    if (policy->verbose()) PrintTiming(after_started, "keep, patch or apply the changes");
    if (reporter) reporter->SetExitCode(code);
  }
  if (reporter) reporter->WriteOutcome(*outcome, describe_op);
  if (options.step_summary) {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    std::fprintf(stderr, "%s\n",
                 StepSummary(state.name, *outcome, code, took.count(),
                             options.report_path.value_or("(none)"))
                     .c_str());
  }
  bool exec_failed = outcome->kind == report::Outcome::Kind::kExecFailed;
  if (code == kExitSandboxFailure || (exec_failed && g_style.exec_failure_too)) {
    code = g_style.failure_exit;
  }
  // The one destructor that acts outside the process: the registry entry goes. (The report is
  // written and its descriptor closes with the process.)
  registered.reset();
  ExitAfterRun(code);
}

}  // namespace sandbox::app

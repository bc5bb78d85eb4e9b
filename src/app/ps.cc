// `sandbox ps [--all] [--json]`: the caller's live runs, and with --all the kept changes of
// --workspace overlay runs (workspace/kept.h).
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include "app/run_registry.h"
#include "app/subcommands.h"
#include "common/exit_status.h"
#include "report/json_writer.h"
#include "workspace/kept.h"

namespace sandbox::app {
namespace {

constexpr const char* kUsage =
    "usage: sandbox ps [--all] [--json]\n"
    "Lists your live runs: name, supervisor pid, pid of the sandbox's init (both as seen from\n"
    "here), age, profile and command. --all: also the runs whose changes were kept\n"
    "(--keep-changes), until sandbox discard NAME.\n";

std::string Age(int64_t created) {
  int64_t seconds = static_cast<int64_t>(std::time(nullptr)) - created;
  if (seconds < 0) seconds = 0;
  if (seconds < 120) return std::to_string(seconds) + "s";
  if (seconds < 7200) return std::to_string(seconds / 60) + "m";
  if (seconds < 172800) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

std::string Joined(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& w : words) text += (text.empty() ? "" : " ") + w;
  return text;
}

}  // namespace

int PsMain(int argc, char** argv, const launch::ProcessImage& /*image*/) {
  bool json = false;
  bool all = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (std::strcmp(argv[i], "--all") == 0 || std::strcmp(argv[i], "-a") == 0) {
      all = true;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr,
                   "sandbox: ps: unexpected argument \"%s\"; usage: sandbox ps [--all] [--json]\n",
                   argv[i]);
      return kExitSandboxFailure;
    }
  }
  auto registry = RunRegistry::OpenToRead();
  if (!registry) {
    std::fprintf(stderr, "sandbox: %s\n", registry.error().ToString().c_str());
    return kExitSandboxFailure;
  }
  std::vector<launch::RunState> runs = registry->LiveRuns();
  std::vector<std::string> kept;
  if (all) kept = workspace::KeptNames(workspace::KeptRunsDir());
  if (json) {
    report::JsonWriter w;
    w.BeginArray();
    for (const std::string& name : kept) {
      w.BeginObject();
      w.Key("name").String(name);
      w.Key("state").String("kept");
      w.EndObject();
    }
    for (const launch::RunState& run : runs) {
      w.BeginObject();
      w.Key("name").String(run.name);
      w.Key("state").String("live");
      w.Key("supervisor_pid").Int(run.supervisor_pid);
      w.Key("init_pid").Int(run.init_pid);
      w.Key("started").Int(run.created);
      w.Key("age_seconds").Int(static_cast<int64_t>(std::time(nullptr)) - run.created);
      w.Key("profile");
      if (run.profile.empty()) {
        w.Null();
      } else {
        w.String(run.profile);
      }
      w.Key("command").BeginArray();
      for (const std::string& arg : run.command) w.String(arg);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    std::fputs(w.Finish().c_str(), stdout);
    return 0;
  }
  std::printf("%-16s %10s %10s %6s  %-12s %s\n", "NAME", "SUPERVISOR", "INIT", "AGE", "PROFILE",
              "COMMAND");
  for (const launch::RunState& run : runs) {
    std::printf("%-16s %10d %10d %6s  %-12s %s\n", run.name.c_str(), run.supervisor_pid,
                run.init_pid, Age(run.created).c_str(),
                run.profile.empty() ? "-" : run.profile.c_str(), Joined(run.command).c_str());
  }
  for (const std::string& name : kept) {
    std::printf("%-16s %10s %10s %6s  %-12s %s\n", name.c_str(), "-", "-", "-", "-",
                "(changes kept: sandbox changes, diff, apply, discard)");
  }
  return 0;
}

}  // namespace sandbox::app

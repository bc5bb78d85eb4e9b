// `sandbox step --profile /ABS/PROFILE.toml --report-dir DIR [FLAGS] -- COMMAND`: the entry
// point a CI master puts in front of every step on a shared worker (docs/fleet.md). A run as
// any other, with what a worker needs pinned: the profile by absolute path (a name would be
// looked up in directories the step's user may write), the report in a directory the job
// cannot see (not in the checkout, where a hostile step could read earlier reports or plant
// one), and one line on stderr saying how the step ended, for the engine's log.
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "app/run_registry.h"
#include "app/subcommands.h"
#include "cli/parse.h"
#include "common/canonical_path.h"
#include "common/exit_status.h"

namespace sandbox::app {
namespace {

constexpr const char* kUsage =
    "usage: sandbox step --profile /ABS/PROFILE.toml --report-dir DIR [FLAGS] -- COMMAND\n"
    "Runs COMMAND as `sandbox --profile ... -- COMMAND` would, for a CI master to put in front\n"
    "of every step on a worker (docs/fleet.md):\n"
    "  --profile        an absolute path (pinned: its extends are found beside it)\n"
    "  --report-dir DIR the report goes to DIR/RUN.json; DIR must exist and must not be\n"
    "                   visible to the job (not in the checkout, nor under any bind)\n"
    "and ends with one line on stderr: sandbox: step RUN: exited 3 after 1.2 s; report PATH.\n"
    "The job's exit status is the step's; SIGTERM (the engine's timeout) is forwarded and the\n"
    "step ends `signaled` with 143. Every other flag of `sandbox --help` applies.\n";

int Refuse(const std::string& why) {
  std::fprintf(stderr, "sandbox: step: %s\n", why.c_str());
  return kExitSandboxFailure;
}

}  // namespace

int StepMain(int argc, char** argv, const launch::ProcessImage& image) {
  std::vector<std::string> args = {"sandbox"};
  std::string report_dir;
  bool in_command = false;
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (!in_command) {
      if (word == "--") {
        in_command = true;
      } else if (word == "--help" || word == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
      } else if (word == "--report-dir" || word.rfind("--report-dir=", 0) == 0) {
        if (word == "--report-dir" && i + 1 >= argc) return Refuse("--report-dir needs a DIR");
        report_dir = word == "--report-dir" ? argv[++i] : word.substr(13);
        continue;
      } else if (word == "--report" || word.rfind("--report=", 0) == 0 || word == "--report-fd" ||
                 word.rfind("--report-fd=", 0) == 0) {
        return Refuse("the report's place is --report-dir DIR (" + word +
                      " would let it land where the job can reach it)");
      }
    }
    args.push_back(std::move(word));
  }
  std::vector<const char*> run_argv;
  for (const std::string& a : args) run_argv.push_back(a.c_str());
  auto parsed = cli::Parse(static_cast<int>(run_argv.size()), run_argv.data());
  if (!parsed) return Refuse(parsed.error().ToString());
  if (parsed->exit_now) {
    std::fputs(kUsage, stdout);
    return *parsed->exit_now;
  }
  cli::CliOptions options = parsed->options;
  // Every profile of a composition is pinned, not only the first.
  bool pinned = !options.profiles.empty();
  for (const std::string& profile : options.profiles) pinned = pinned && profile.starts_with("/");
  if (!pinned) {
    return Refuse(
        "pin the profile with its absolute path, e.g. --profile "
        "/usr/share/sandbox/profiles/fleet.toml (a name is looked up in directories the "
        "worker's user may write)");
  }
  if (report_dir.empty()) {
    return Refuse("name a directory for the report outside the checkout: --report-dir DIR");
  }
  std::string dir = CanonicalPath(report_dir);
  struct stat st = {};
  if (dir.empty() || ::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Refuse("--report-dir " + report_dir + ": not an existing directory; create it first");
  }
  if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
    return Refuse("--report-dir " + dir +
                  ": anyone may write there, so anyone could replace a report; use a directory "
                  "of the worker's own");
  }
  if (!options.name) options.name = GenerateRunName();
  options.report_path = (dir == "/" ? "" : dir) + "/" + *options.name + ".json";
  options.report_hidden_from_job = true;
  options.step_summary = true;
  return RunWithOptions(options, image, RunStyle{});
}

}  // namespace sandbox::app

// `sandbox enter NAME [-- COMMAND...]`: a shell (or COMMAND) inside a live run, in its
// namespaces and with its job's hardening (launch/enter.h). The exit status is the command's.
#include "launch/enter.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "app/run_registry.h"
#include "app/shell_command.h"
#include "app/subcommands.h"
#include "common/exit_status.h"
#include "report/exit_code.h"

namespace sandbox::app {
namespace {

constexpr const char* kUsage =
    "usage: sandbox enter NAME [-- COMMAND [ARGS...]]\n"
    "Runs COMMAND (default: an interactive shell) in the live run NAME: its namespaces, its\n"
    "filesystem, and its job's environment, cwd, limits, Landlock, seccomp filter and dropped\n"
    "capabilities. On a terminal, with a terminal of the run's own.\n";

int EnterFailed(const Error& e) {
  std::fprintf(stderr, "sandbox: enter: %s\n", e.ToString().c_str());
  return kExitSandboxFailure;
}

}  // namespace

int EnterMain(int argc, char** argv, const launch::ProcessImage& /*image*/) {
  std::string name;
  launch::EnterRequest request;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--") {
      request.command.assign(argv + i + 1, argv + argc);
      break;
    }
    if (name.empty() && !arg.empty() && arg[0] != '-') {
      name = arg;
    } else {
      return EnterFailed(MakeError("unexpected argument \"" + arg +
                                   "\"; usage: sandbox enter NAME [-- COMMAND [ARGS...]]"));
    }
  }
  if (name.empty()) {
    return EnterFailed(MakeError(
        "which run? usage: sandbox enter NAME [-- COMMAND [ARGS...]]; sandbox ps lists yours"));
  }
  auto registry = RunRegistry::OpenToRead();
  if (!registry) return EnterFailed(registry.error());
  auto run = registry->Find(name);
  if (!run) return EnterFailed(run.error());

  bool on_terminal = ::isatty(STDIN_FILENO) == 1;
  request.terminal = on_terminal && run->has_dev;
  if (request.command.empty()) request.command = ShellCommand(on_terminal, std::getenv("SHELL"));

  std::fflush(nullptr);
  auto outcome = launch::EnterRun(*run, request);
  if (!outcome) {
    // EnterRun may fail after joining the run's namespaces: leave as below, never through the
    // at-exit machinery.
    int code = EnterFailed(outcome.error());
    std::fflush(nullptr);
    ::_exit(code);
  }
  bool logged = run->seccomp_settings.action == seccomp::Action::kLog;
  for (const std::string& line : report::DenialLines(*outcome, logged)) {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::string message = report::MessageFor(*outcome, [](int) { return std::string(); });
  if (!message.empty()) std::fprintf(stderr, "%s\n", message.c_str());
  // This process has joined the run's mount namespace: its /proc now shows another pid
  // namespace, where it does not exist. At-exit machinery that reads /proc/self (LeakSanitizer
  // in sanitizer builds) would hang; nothing is left to clean up, so leave directly.
  std::fflush(nullptr);
  ::_exit(report::ExitCodeFor(*outcome));
}

}  // namespace sandbox::app

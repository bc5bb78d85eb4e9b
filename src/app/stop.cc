// `sandbox stop NAME [--signal SIG] [--grace DURATION]`: the signal (SIGTERM) to the job through
// its supervisor, then, if the run is still there after the grace period, SIGKILL to the
// sandbox's init, which takes every process of the run with it.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "app/run_registry.h"
#include "app/subcommands.h"
#include "common/exit_status.h"
#include "common/syscalls.h"
#include "common/unique_fd.h"
#include "common/units.h"

namespace sandbox::app {
namespace {

constexpr const char* kUsage =
    "usage: sandbox stop NAME [--signal SIG] [--grace DURATION]\n"
    "Sends SIG (default TERM) to the run's job, waits up to DURATION (default 5s) for the run to\n"
    "end, then kills the whole sandbox.\n";

constexpr const char* kUsageLine = "usage: sandbox stop NAME [--signal SIG] [--grace DURATION]";

int StopFailed(const Error& e) {
  std::fprintf(stderr, "sandbox: stop: %s\n", e.ToString().c_str());
  return kExitSandboxFailure;
}

int ParseSignal(std::string text) {
  if (text.rfind("SIG", 0) == 0) text = text.substr(3);
  static const struct {
    const char* name;
    int number;
  } kSignals[] = {{"TERM", SIGTERM}, {"INT", SIGINT},   {"HUP", SIGHUP},  {"QUIT", SIGQUIT},
                  {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2}};
  for (const auto& s : kSignals) {
    if (text == s.name) return s.number;
  }
  char* end = nullptr;
  long number = std::strtol(text.c_str(), &end, 10);
  if (end != text.c_str() && *end == '\0' && number > 0 && number < NSIG)
    return static_cast<int>(number);
  return 0;
}

// A pidfd for `pid` if it is still the process that started at `start`.
UniqueFd OpenVerified(pid_t pid, uint64_t start) {
  UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (fd && launch::ProcessStartTime(pid) != start) fd.Reset();
  return fd;
}

bool WaitGone(int pidfd, std::chrono::milliseconds limit) {
  struct pollfd p = {pidfd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(limit.count())) == 1;
}

}  // namespace

int StopMain(int argc, char** argv, const launch::ProcessImage& /*image*/) {
  std::string name;
  int signal = SIGTERM;
  std::chrono::milliseconds grace{5000};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--signal" || arg == "--grace") {
      if (i + 1 == argc) return StopFailed(MakeError(arg + " needs a value; " + kUsageLine));
      std::string value = argv[++i];
      if (arg == "--signal") {
        signal = ParseSignal(value);
        if (signal == 0)
          return StopFailed(MakeError("--signal " + value + ": not a signal; e.g. TERM, INT, 9"));
      } else {
        auto d = ParseDuration(value);
        if (!d) {
          Error e = d.error();
          e.message = "--grace: " + e.message;
          return StopFailed(e);
        }
        grace = *d;
      }
    } else if (name.empty() && !arg.empty() && arg[0] != '-') {
      name = arg;
    } else {
      return StopFailed(MakeError("unexpected argument \"" + arg + "\"; " + kUsageLine));
    }
  }
  if (name.empty()) {
    return StopFailed(
        MakeError(std::string("which run? ") + kUsageLine + "; sandbox ps lists yours"));
  }
  auto registry = RunRegistry::OpenToRead();
  if (!registry) return StopFailed(registry.error());
  auto run = registry->Find(name);
  if (!run) return StopFailed(run.error());

  UniqueFd supervisor = OpenVerified(run->supervisor_pid, run->supervisor_start);
  UniqueFd init = OpenVerified(run->init_pid, run->init_start);
  if (!supervisor || !init) return StopFailed(MakeError("run \"" + name + "\" has ended"));
  // The supervisor forwards it to the job through the sandbox's init, as for a Ctrl-C.
  if (sys::PidfdSendSignal(supervisor.get(), signal) < 0 && errno != ESRCH) {
    return StopFailed(MakeError("cannot signal run \"" + name + "\"", errno));
  }
  if (!WaitGone(supervisor.get(), grace)) {
    // SIGKILL to the init ends the pid namespace: every process of the run dies with it.
    sys::PidfdSendSignal(init.get(), SIGKILL);
    if (!WaitGone(supervisor.get(), std::chrono::milliseconds(10000))) {
      return StopFailed(MakeError("run \"" + name + "\" did not end after SIGKILL"));
    }
  }
  return 0;
}

}  // namespace sandbox::app

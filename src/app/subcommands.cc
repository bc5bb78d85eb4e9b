#include "app/subcommands.h"

#include <cstring>
#include <string>

namespace sandbox::app {
namespace {

// Add a line per subcommand; keep them sorted.
constexpr Subcommand kSubcommands[] = {
    {"apply", "Write a kept run's changes into the checkout, safely (docs/workspace.md)",
     ApplyMain},
    {"bwrap", "Run with bubblewrap's command line and defaults (docs/bwrap-compat.md)", BwrapMain},
    {"changes", "List a kept run's changes (--workspace overlay --keep-changes)", ChangesMain},
    {"check", "Validate profiles; print every error", CheckMain},
    {"diff", "Show a kept run's changes as a unified diff", DiffMain},
    {"discard", "Drop a kept run's changes", DiscardMain},
    {"doctor", "Check what a run needs on this host, with the fix for what is missing", DoctorMain},
    {"enter", "Run a shell or a command inside a live run (see sandbox ps)", EnterMain},
    {"ps", "List your live runs (--all: and kept changes; --json for machines)", PsMain},
    {"shell", "Open an interactive shell in the sandbox a job would get", ShellMain},
    {"show", "Print the resolved policy of a profile (--json for machines)", ShowMain},
    {"step", "Run one CI step on a worker: pinned profile, report out of the job's sight",
     StepMain},
    {"stop", "Stop a live run: SIGTERM to its job, SIGKILL to all of it after a grace period",
     StopMain},
    {nullptr, nullptr, nullptr},
};

}  // namespace

std::string SubcommandsHelp() {
  std::string text = "Commands (sandbox COMMAND --help for each):\n";
  for (const Subcommand& command : kSubcommands) {
    if (command.name == nullptr) continue;
    std::string name = command.name;
    text += "  " + name + std::string(name.size() < 8 ? 8 - name.size() : 1, ' ') +
            command.summary + "\n";
  }
  return text;
}

const Subcommand* FindSubcommand(const char* name) {
  for (const Subcommand& command : kSubcommands) {
    if (command.name != nullptr && std::strcmp(command.name, name) == 0) return &command;
  }
  return nullptr;
}

}  // namespace sandbox::app

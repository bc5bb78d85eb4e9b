#include "app/subcommands.h"

#include <cstring>

namespace sandbox::app {
namespace {

// Add a line per subcommand; keep them sorted.
constexpr Subcommand kSubcommands[] = {
    {"check", "Validate profiles; print every error", CheckMain},
    {"doctor", "Check what a run needs on this host, with the fix for what is missing", DoctorMain},
    {"show", "Print the resolved policy of a profile (--json for machines)", ShowMain},
    {nullptr, nullptr, nullptr},
};

}  // namespace

const Subcommand* FindSubcommand(const char* name) {
  for (const Subcommand& command : kSubcommands) {
    if (command.name != nullptr && std::strcmp(command.name, name) == 0) return &command;
  }
  return nullptr;
}

}  // namespace sandbox::app

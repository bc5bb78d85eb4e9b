// The interactive shell `sandbox shell` and `sandbox enter` start: bash when the sandbox has
// it, else sh; interactive (-i) on a terminal.
#ifndef SANDBOX_APP_SHELL_COMMAND_H_
#define SANDBOX_APP_SHELL_COMMAND_H_

#include <string>
#include <vector>

namespace sandbox::app {

inline std::vector<std::string> ShellCommand(bool interactive) {
  std::vector<std::string> command = {
      "/bin/sh", "-c",
      "if command -v bash >/dev/null 2>&1; then exec bash \"$@\"; fi; exec sh \"$@\"", "sh"};
  if (interactive) command.emplace_back("-i");
  return command;
}

}  // namespace sandbox::app

#endif  // SANDBOX_APP_SHELL_COMMAND_H_

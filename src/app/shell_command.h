// The interactive shell `sandbox shell` and `sandbox enter` start: the caller's $SHELL when the
// sandbox has that file, else bash when the sandbox has it, else sh; interactive (-i) on a
// terminal. Whether a path exists is only known inside (the mounts decide), so a small sh
// script chooses there; the caller's $SHELL reaches it as an argument, never as script text.
#ifndef SANDBOX_APP_SHELL_COMMAND_H_
#define SANDBOX_APP_SHELL_COMMAND_H_

#include <string>
#include <vector>

namespace sandbox::app {

/// `caller_shell` is the caller's $SHELL (null or empty: none). Only an absolute path is
/// tried, and never a login refusal such as nologin or false.
inline std::vector<std::string> ShellCommand(bool interactive, const char* caller_shell) {
  std::vector<std::string> command = {
      "/bin/sh", "-c",
      "s=; case \"$1\" in */nologin|*/false) ;; /*) [ -f \"$1\" ] && [ -x \"$1\" ] && s=$1 ;; "
      "esac; if [ -z \"$s\" ]; then if command -v bash >/dev/null 2>&1; then s=bash; else s=sh; "
      "fi; fi; shift; exec \"$s\" \"$@\"",
      "sh", caller_shell != nullptr ? caller_shell : ""};
  if (interactive) command.emplace_back("-i");
  return command;
}

}  // namespace sandbox::app

#endif  // SANDBOX_APP_SHELL_COMMAND_H_

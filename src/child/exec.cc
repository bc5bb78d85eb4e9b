#include "child/exec.h"

#include <limits.h>
#include <unistd.h>

#include <cerrno>

#include "common/raw_log.h"

namespace sandbox::child {

StepError ExecuteJob(const ChildPlan& plan) noexcept {
  // bwrap's --argv0 gives the program another argv[0] than the name it is found by.
  const char* command = plan.exec_name != nullptr ? plan.exec_name : plan.argv[0];
  bool has_slash = false;
  for (const char* p = command; *p != '\0'; ++p) has_slash = has_slash || *p == '/';
  if (has_slash || plan.path_dirs.empty()) {
    ::execve(command, plan.argv.data(), plan.envp.data());
    return StepFailed(SetupStep::kExecute, errno, command);
  }
  // execvp(3) semantics: EACCES is remembered but the search goes on; ENOENT/ENOTDIR try the
  // next directory; anything else stops the search.
  bool saw_eacces = false;
  for (const char* dir : plan.path_dirs) {
    char candidate[PATH_MAX];
    RawBuffer path(candidate, sizeof(candidate));
    path.Append(dir).Append("/").Append(command);
    ::execve(candidate, plan.argv.data(), plan.envp.data());
    switch (errno) {
      case EACCES:
        saw_eacces = true;
        break;
      case ENOENT:
      case ENOTDIR:
      case ESTALE:
      case ENODEV:
      case ETIMEDOUT:
        break;
      default:
        return StepFailed(SetupStep::kExecute, errno, command);
    }
  }
  return StepFailed(SetupStep::kExecute, saw_eacces ? EACCES : ENOENT, command);
}

}  // namespace sandbox::child

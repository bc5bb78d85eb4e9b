#include "child/exec.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/raw_log.h"

namespace sandbox::child {
namespace {

constexpr const char* kInterpreterMissing =
    "the file is there: its interpreter (the ELF loader or the #! program) is missing inside "
    "the sandbox";

// execve's ENOENT also means a missing ELF interpreter or #! program: say which, or "gcc: No
// such file or directory" sends the user looking for gcc, which is there.
StepError ExecFailed(int error, const char* command) noexcept {
  if (error == ENOENT && ::access(command, F_OK) == 0) {
    return StepFailed(SetupStep::kExecute, ENOENT, command, kInterpreterMissing);
  }
  return StepFailed(SetupStep::kExecute, error, command);
}

// "/proc/PID/exe" (self, thread-self or a number) naming the sandbox's own binary: a client
// re-executing whatever runs it, which under bubblewrap is bwrap (its suite's recursive tests
// run /proc/self/exe). The binary then starts under the name "exe", which says nothing of
// bwrap mode.
bool IsOwnBinaryThroughProc(const char* command) noexcept {
  constexpr char kPrefix[] = "/proc/";
  constexpr char kSuffix[] = "/exe";
  size_t n = RawLength(command);
  if (n < sizeof(kPrefix) - 1 + sizeof(kSuffix)) return false;
  for (size_t i = 0; i + 1 < sizeof(kPrefix); ++i) {
    if (command[i] != kPrefix[i]) return false;
  }
  for (size_t i = 0; i + 1 < sizeof(kSuffix); ++i) {
    if (command[n - (sizeof(kSuffix) - 1) + i] != kSuffix[i]) return false;
  }
  struct stat target;
  struct stat own;
  return ::stat(command, &target) == 0 && ::stat("/proc/self/exe", &own) == 0 &&
         target.st_dev == own.st_dev && target.st_ino == own.st_ino;
}

}  // namespace

StepError ExecuteJob(const ChildPlan& plan, char* const* envp) noexcept {
  // bwrap's --argv0 gives the program another argv[0] than the name it is found by.
  const char* command = plan.exec_name != nullptr ? plan.exec_name : plan.argv[0];
  bool has_slash = false;
  for (const char* p = command; *p != '\0'; ++p) has_slash = has_slash || *p == '/';
  if (has_slash || plan.path_dirs.empty()) {
    // bwrap mode: the sandbox re-executed through /proc gets kBwrapReexecArg first, so it
    // stays in bwrap mode whatever its file is called (common/bwrap_reexec.h).
    char* const* argv = plan.argv.data();
    if (!plan.argv_as_bwrap.empty() && IsOwnBinaryThroughProc(command)) {
      argv = plan.argv_as_bwrap.data();
    }
    ::execve(command, argv, envp);
    return ExecFailed(errno, command);
  }
  // execvp(3) semantics: EACCES is remembered but the search goes on; ENOENT/ENOTDIR try the
  // next directory; anything else stops the search.
  bool saw_eacces = false;
  bool no_interpreter = false;  // a candidate exists, but its interpreter does not
  for (const char* dir : plan.path_dirs) {
    char candidate[PATH_MAX];
    RawBuffer path(candidate, sizeof(candidate));
    path.Append(dir).Append("/").Append(command);
    ::execve(candidate, plan.argv.data(), envp);
    switch (errno) {
      case EACCES:
        saw_eacces = true;
        break;
      case ENOENT:
        no_interpreter = no_interpreter || ::access(candidate, F_OK) == 0;
        break;
      case ENOTDIR:
      case ESTALE:
      case ENODEV:
      case ETIMEDOUT:
        break;
      default:
        return StepFailed(SetupStep::kExecute, errno, command);
    }
  }
  if (saw_eacces) return StepFailed(SetupStep::kExecute, EACCES, command);
  if (no_interpreter) return StepFailed(SetupStep::kExecute, ENOENT, command, kInterpreterMissing);
  return StepFailed(SetupStep::kExecute, ENOENT, command);
}

}  // namespace sandbox::child

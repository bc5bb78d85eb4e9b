// RunState: what `sandbox ps`, `enter` and `stop` need to know about a live run, written by the
// supervisor when the sandbox starts. It carries the job side of the run's ChildPlan (the
// environment, cwd, limits, Landlock rules and the compiled seccomp program), so an entered
// process gets exactly the run's hardening without re-reading profiles that may have changed.
#ifndef SANDBOX_LAUNCH_RUN_STATE_H_
#define SANDBOX_LAUNCH_RUN_STATE_H_

#include <linux/filter.h>
#include <sched.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "child/plan.h"
#include "common/result.h"
#include "seccomp/settings.h"

namespace sandbox::launch {

inline constexpr uint64_t kAllNamespaces = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID |
                                           CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET |
                                           CLONE_NEWCGROUP;

struct RunState {
  std::string name;
  pid_t supervisor_pid = 0;
  uint64_t supervisor_start = 0;  // /proc/PID/stat starttime: a recycled pid has another
  pid_t init_pid = 0;
  uint64_t init_start = 0;
  int64_t created = 0;  // seconds since the epoch
  std::string profile;  // as named on the command line; "" without one
  // CLONE_NEW* flags of the run's namespaces (Policy::namespaces()): enter joins exactly these.
  uint64_t namespaces = kAllNamespaces;
  std::vector<std::string> command;

  // The job side of the plan.
  std::vector<std::string> environment;
  std::string cwd = "/";
  bool cwd_required = false;
  unsigned umask = 022;
  int last_capability = 40;
  struct Limit {
    int resource = 0;
    uint64_t value = 0;
    std::string name;
  };
  std::vector<Limit> limits;
  int landlock_abi = 0;
  struct LandlockRule {
    uint64_t access = 0;
    bool optional = false;
    std::string path;
    // The object pid 1's rule for `path` names (kLandlockObject), for enter to match.
    bool recorded = false;
    uint64_t device = 0;
    uint64_t inode = 0;
  };
  std::vector<LandlockRule> landlock_rules;
  bool landlock_objects_known = false;  // pid 1 reported its rules' objects (written at ready)
  std::vector<sock_filter> seccomp_program;
  bool seccomp_listener = false;
  seccomp::Settings seccomp_settings;  // for answering the listener as the run does
  bool has_dev = false;                // the run has its own /dev (a pty can be opened there)
  // The run has a cgroup of its own holding every process under its limits (memory, pids,
  // cpu): an entered process is started in it, that of the run's init.
  bool cgroup_limits = false;
};

/// /proc/PID/stat's starttime (clock ticks since boot), or 0 when the process is gone. With
/// the pid it names one process for good: a recycled pid has another start time.
uint64_t ProcessStartTime(pid_t pid);

/// The text form (one "key value" per line; values escaped so they hold no newline).
std::string SerializeRunState(const RunState& state);
Result<RunState> ParseRunState(const std::string& text);

/// The job side of `plan`, for the state file.
void CaptureJobSide(const child::ChildPlan& plan, RunState* state);

/// A plan that runs `command` with the run's job-side hardening. sync_fd is left unset.
std::unique_ptr<child::ChildPlan> PlanForEntered(const RunState& state,
                                                 const std::vector<std::string>& command);

/// The directories of a PATH value, as execvp searches them ("" is the current directory).
std::vector<std::string> SplitSearchPath(std::string_view path);

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_RUN_STATE_H_

#include "child/landlock_only.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "child/caps.h"
#include "child/job.h"
#include "child/landlock.h"
#include "common/exit_status.h"

namespace sandbox::child {
namespace {

// The ruleset of the host paths the run allows; on failure *ruleset is closed and -1.
StepError BuildHostRuleset(const ChildPlan& plan, int* ruleset) noexcept {
  StepError e = CreateLandlockRuleset(plan, ruleset);
  if (e.failed()) return e;
  if (*ruleset < 0) {
    // The policy refuses this mode without Landlock; never run with no fence at all.
    return StepFailed(SetupStep::kApplyLandlock, ENOSYS, nullptr, "no Landlock ABI in the plan");
  }
  for (const ChildPlan::LandlockRule& rule : plan.landlock_rules) {
    int fd = ::open(rule.path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
      if (rule.optional && errno == ENOENT) continue;
      e = StepFailed(SetupStep::kApplyLandlock, errno, rule.path);
    } else {
      e = AddLandlockRule(plan, *ruleset, fd, rule.access, rule.path);
      ::close(fd);
    }
    if (e.failed()) {
      ::close(*ruleset);
      *ruleset = -1;
      return e;
    }
  }
  return StepOk();
}

}  // namespace

void RunLandlockOnly(const ChildPlan& plan) noexcept {
  // Die with the supervisor; one that died before this line already closed its end.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  char byte = 0;
  if (::recv(plan.sync_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0) ::_exit(kExitSandboxFailure);
  int ruleset = -1;
  StepError e = BuildHostRuleset(plan, &ruleset);
  // Without a user namespace there is no CAP_SYS_ADMIN: landlock_restrict_self(2) requires
  // no_new_privs first. RunJob sets it again, harmlessly.
  if (!e.failed()) e = SetNoNewPrivs();
  if (e.failed()) {
    if (ruleset >= 0) ::close(ruleset);
    FailWith(plan, RecordKind::kSetupError, e, kExitSandboxFailure);
  }
  RunJob(plan, -1, ruleset);
}

}  // namespace sandbox::child

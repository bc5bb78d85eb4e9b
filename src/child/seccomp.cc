#include "child/seccomp.h"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/listener_handover.h"

namespace sandbox::child {

StepError InstallSeccompFilter(const ChildPlan& plan) noexcept {
  if (plan.seccomp_program.empty()) return StepOk();
  struct sock_fprog program = {};
  program.len = static_cast<unsigned short>(plan.seccomp_program.size());
  program.filter = const_cast<sock_filter*>(plan.seccomp_program.data());
  if (!plan.seccomp_listener) {
    if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) < 0) {
      return StepFailed(SetupStep::kInstallSeccomp, errno, nullptr, nullptr);
    }
    return StepOk();
  }
  // The filter hands every sendmsg to the supervisor (the socket fence), so the listener cannot
  // travel attached to a message of this process once the filter is in place: the supervisor
  // takes it (listener_handover.h).
  ListenerHandover how =
      plan.seccomp_listener_pull ? ListenerHandover::kPull : ListenerHandover::kHelper;
  bool installed = false;
  int err = InstallFilterAndHandOverListener(plan.sync_fd, how, &program, &installed);
  if (!installed) {
    // EBUSY: an enclosing filter already has a listener, and the kernel allows one per tree.
    return StepFailed(SetupStep::kInstallSeccomp, err, nullptr,
                      err == EBUSY ? "an enclosing seccomp filter already has a listener; use "
                                     "--seccomp-action kill, or run outside that sandbox"
                                   : nullptr);
  }
  // Without a supervisor answering, every denied call would fail with ENOSYS instead: refuse.
  if (err != 0) {
    return StepFailed(SetupStep::kInstallSeccomp, err, nullptr, "cannot hand over the listener");
  }
  return StepOk();
}

StepError InstallExtraSeccompPrograms(const ChildPlan& plan) noexcept {
  for (const std::vector<sock_filter>& filter : plan.extra_seccomp) {
    struct sock_fprog program = {};
    program.len = static_cast<unsigned short>(filter.size());
    program.filter = const_cast<sock_filter*>(filter.data());
    // prctl, not seccomp(2): bubblewrap documents that every program but the last must allow
    // prctl() so the next one can be added, and callers' allowlists are written that way.
    if (::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) < 0) {
      return StepFailed(SetupStep::kInstallSeccomp, errno, nullptr, "--seccomp program");
    }
  }
  return StepOk();
}

}  // namespace sandbox::child

#include "child/seccomp.h"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/record.h"

namespace sandbox::child {

StepError InstallSeccompFilter(const ChildPlan& plan) noexcept {
  if (plan.seccomp_program.empty()) return StepOk();
  struct sock_fprog program = {};
  program.len = static_cast<unsigned short>(plan.seccomp_program.size());
  program.filter = const_cast<sock_filter*>(plan.seccomp_program.data());
  unsigned flags = plan.seccomp_listener ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
  long listener = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &program);
  if (listener < 0) {
    int err = errno;
    // EBUSY: an enclosing filter already has a listener, and the kernel allows one per tree.
    return StepFailed(SetupStep::kInstallSeccomp, err, nullptr,
                      err == EBUSY ? "an enclosing seccomp filter already has a listener; use "
                                     "--seccomp-action kill, or run outside that sandbox"
                                   : nullptr);
  }
  if (!plan.seccomp_listener) return StepOk();
  Record record;
  record.kind = RecordKind::kSeccompListener;
  record.step = SetupStep::kInstallSeccomp;
  bool sent = SendRecordWithFd(plan.sync_fd, record, static_cast<int>(listener));
  int err = errno;
  ::close(static_cast<int>(listener));
  // Without a supervisor answering, every denied call would fail with ENOSYS instead: refuse.
  if (!sent)
    return StepFailed(SetupStep::kInstallSeccomp, err, nullptr, "cannot hand over the listener");
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

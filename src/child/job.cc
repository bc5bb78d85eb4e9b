#include "child/job.h"

#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "child/caps.h"
#include "child/exec.h"
#include "child/fds.h"
#include "child/landlock.h"
#include "child/seccomp.h"
#include "child/terminal.h"
#include "common/exit_status.h"

namespace sandbox::child {
namespace {

// Enters the job's directory and sets *envp to the environment whose PWD names it.
StepError ChangeDirectory(const ChildPlan& plan, char* const** envp) noexcept {
  *envp = plan.envp.data();
  if (::chdir(plan.cwd) == 0) return StepOk();
  if (plan.cwd_required) return StepFailed(SetupStep::kChangeDirectory, errno, plan.cwd);
  // The caller's directory is only a preference; bubblewrap tries its HOME next, then "/".
  if (plan.cwd_fallback != nullptr && ::chdir(plan.cwd_fallback) == 0) {
    if (!plan.envp_fallback.empty()) *envp = plan.envp_fallback.data();
    return StepOk();
  }
  if (!plan.envp_root.empty()) *envp = plan.envp_root.data();
  if (::chdir("/") == 0) return StepOk();
  return StepFailed(SetupStep::kChangeDirectory, errno, "/");
}

// Soft and hard alike, so the job cannot raise them back. RLIMIT_NPROC is counted per user
// namespace since Linux 5.14, so nproc limits the sandbox's processes, not the caller's.
StepError SetResourceLimits(const ChildPlan& plan) noexcept {
  for (const ChildPlan::Limit& limit : plan.limits) {
    struct rlimit value = {static_cast<rlim_t>(limit.value), static_cast<rlim_t>(limit.value)};
    if (::setrlimit(static_cast<__rlimit_resource>(limit.resource), &value) < 0) {
      // EPERM: above the caller's hard limit, which an unprivileged process cannot raise.
      return StepFailed(SetupStep::kSetResourceLimits, errno, limit.name,
                        errno == EPERM ? "above the caller's hard limit (ulimit -H)" : nullptr);
    }
  }
  return StepOk();
}

StepError ApplyCapabilities(const ChildPlan& plan) noexcept {
  switch (plan.caps) {
    case ChildPlan::Caps::kDropAll:
      return DropCapabilities(plan.last_capability);
    case ChildPlan::Caps::kUnchanged:
      // Sets untouched; bubblewrap still offers each capability to the ambient set, which
      // only takes those the caller also had inheritable.
      return RaiseAmbientCapabilities(plan.caps_keep, plan.last_capability);
    case ChildPlan::Caps::kExactly:
      return SetCapabilities(plan.caps_keep, plan.caps_limit_bounding, plan.last_capability);
  }
  return StepOk();
}

}  // namespace

int64_t MonotonicNow() noexcept {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void ReportStep(const ChildPlan& plan, SetupStep step, int op_index, int64_t* since) noexcept {
  if (!plan.report_steps) return;
  int64_t now = MonotonicNow();
  SendRecord(plan.sync_fd, MakeStepRecord(step, op_index, now - *since));
  *since = MonotonicNow();
}

size_t KeptDescriptors(const ChildPlan& plan, int* keep) noexcept {
  size_t count = 0;
  bool placed = false;
  for (int fd : plan.pass_fds) {
    if (count + 2 > kMaxKeptFds) break;
    if (!placed && plan.sync_fd < fd) {
      keep[count++] = plan.sync_fd;
      placed = true;
    }
    keep[count++] = fd;
  }
  if (!placed) keep[count++] = plan.sync_fd;
  return count;
}

void FailWith(const ChildPlan& plan, RecordKind kind, const StepError& e, int exit_code) noexcept {
  SendRecord(plan.sync_fd, MakeErrorRecord(kind, e.step, e.error, e.op_index, e.path, e.detail));
  ::_exit(exit_code);
}

// The job, from fork to execve. The order matters: everything needing privilege first, then
// capabilities go, then no_new_privs; the seccomp filter (when there is one) comes last.
void RunJob(const ChildPlan& plan, int terminal_slave, int landlock_ruleset) noexcept {
  sigset_t none;
  sigemptyset(&none);
  ::pthread_sigmask(SIG_SETMASK, &none, nullptr);

  int64_t clock = plan.report_steps ? MonotonicNow() : 0;
  StepError e;
  // A new session detaches the job from the caller's terminal, so TIOCSTI cannot push
  // keystrokes into the caller's shell.
  // (bwrap's --as-pid-1 job is pid 1, already a session leader.)
  if (plan.new_session && ::getsid(0) != ::getpid() && ::setsid() < 0) {
    e = StepFailed(SetupStep::kNewSession, errno);
  }
  // The sandbox's own pty, never the caller's terminal: TIOCSTI on it reaches only the job.
  if (!e.failed() && terminal_slave >= 0) e = AttachTerminal(terminal_slave);
  ::umask(plan.umask);
  // The sync socket stays: it is close-on-exec, and carries an exec failure if there is one.
  if (plan.inherit_fds) {
    // bwrap mode: everything the caller passed goes on, but what the options consumed.
    for (int fd : plan.consumed_fds) {
      if (fd != plan.sync_fd) ::close(fd);
    }
  } else {
    int keep[kMaxKeptFds];
    size_t count = KeptDescriptors(plan, keep);
    if (landlock_ruleset >= 0 && count < kMaxKeptFds) {
      keep[count++] = landlock_ruleset;  // until the restriction below
      std::sort(keep, keep + count);
    }
    if (!e.failed()) e = CloseDescriptorsExcept(keep, count);
    if (!e.failed()) e = InheritDescriptors(plan.pass_fds.data(), plan.pass_fds.size());
  }
  // bwrap --die-with-parent: without a pid namespace nothing else ends the job with pid 1.
  if (!e.failed() && plan.die_with_parent && ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
    e = StepFailed(SetupStep::kDropCapabilities, errno, nullptr, "PR_SET_PDEATHSIG");
  }
  if (!e.failed()) e = SetResourceLimits(plan);
  // A run's ruleset was built by pid 1 from the mounts themselves; `enter` builds its own.
  if (!e.failed()) {
    e = landlock_ruleset >= 0 ? RestrictWithRuleset(landlock_ruleset) : ApplyLandlock(plan);
  }
  if (!e.failed()) e = ApplyCapabilities(plan);
  if (!e.failed()) e = SetNoNewPrivs();
  // With the rights the command will have, as bubblewrap does (a directory only a dropped
  // capability could enter is not one the command can use: bwrap mode goes on to HOME).
  char* const* envp = nullptr;
  if (!e.failed()) e = ChangeDirectory(plan, &envp);
  if (e.failed()) FailWith(plan, RecordKind::kSetupError, e, kExitSandboxFailure);
  ReportStep(plan, SetupStep::kDropCapabilities, -1, &clock);
  // Last: from here on the job's own calls are filtered, and the steps above needed calls
  // (setrlimit, landlock_*, capset, prctl) that the filter may one day refuse.
  // bwrap --block-fd: the caller releases the command by writing a byte (or closing).
  if (plan.block_fd >= 0) {
    (void)AwaitByte(plan.block_fd);
    ::close(plan.block_fd);
  }
  e = InstallSeccompFilter(plan);
  if (!e.failed()) e = InstallExtraSeccompPrograms(plan);
  if (e.failed()) FailWith(plan, RecordKind::kSetupError, e, kExitSandboxFailure);
  ReportStep(plan, SetupStep::kInstallSeccomp, -1, &clock);

  e = ExecuteJob(plan, envp);
  FailWith(plan, RecordKind::kExecError, e, e.error == ENOENT ? kExitNotFound : kExitCannotExecute);
}

}  // namespace sandbox::child

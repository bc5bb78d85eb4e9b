#include "child/setup.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "child/caps.h"
#include "child/exec.h"
#include "child/fds.h"
#include "child/mounts.h"
#include "child/net.h"
#include "common/exit_status.h"
#include "common/record.h"
#include "init/init.h"

namespace sandbox::child {
namespace {

constexpr size_t kMaxKeptFds = 256;

[[noreturn]] void FailWith(const ChildPlan& plan, RecordKind kind, const StepError& e,
                           int exit_code) noexcept {
  SendRecord(plan.sync_fd, MakeErrorRecord(kind, e.step, e.error, e.op_index, e.path, e.detail));
  ::_exit(exit_code);
}

// Blocks until the supervisor has written uid_map/gid_map. Until then this process has no
// usable identity in its namespace. EOF means the supervisor died: leave quietly.
void WaitForIdMaps(const ChildPlan& plan) noexcept {
  char go = 0;
  for (;;) {
    ssize_t n = ::recv(plan.sync_fd, &go, 1, 0);
    if (n == 1) return;
    if (n < 0 && errno == EINTR) continue;
    ::_exit(kExitSandboxFailure);
  }
}

// pid 1 is a copy of the supervisor: its argv/environ memory is still what /proc/1/cmdline and
// /proc/1/environ show, and the job can read those. Overwrite both.
void WipeInheritedImage(const ChildPlan& plan) noexcept {
  for (char* p = plan.env_begin; p != nullptr && p < plan.env_end; ++p) *p = '\0';
  if (plan.args_begin != nullptr && plan.args_end > plan.args_begin) {
    const char kName[] = "sandbox-init";
    char* p = plan.args_begin;
    for (size_t i = 0; i < sizeof(kName) && p < plan.args_end; ++i) *p++ = kName[i];
    while (p < plan.args_end) *p++ = '\0';
  }
}

StepError BuildFilesystem(const ChildPlan& plan) noexcept {
  RootFds fds;
  StepError e = PrepareStagingRoot(&fds);
  if (e.failed()) return e;
  for (const MountStep& step : plan.mounts) {
    e = ApplyMountStep(fds, step);
    if (e.failed()) return e;
  }
  return EnterNewRoot(&fds);
}

StepError ChangeDirectory(const ChildPlan& plan) noexcept {
  if (::chdir(plan.cwd) == 0) return StepOk();
  if (plan.cwd_required) return StepFailed(SetupStep::kChangeDirectory, errno, plan.cwd);
  // The caller's directory is only a preference, as in bubblewrap.
  if (::chdir("/") == 0) return StepOk();
  return StepFailed(SetupStep::kChangeDirectory, errno, "/");
}

// The job, from fork to execve. The order matters: everything needing privilege first, then
// capabilities go, then no_new_privs; the seccomp filter (when there is one) comes last.
[[noreturn]] void RunJob(const ChildPlan& plan) noexcept {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  StepError e;
  // A new session detaches the job from the caller's terminal, so TIOCSTI cannot push
  // keystrokes into the caller's shell.
  if (plan.new_session && ::setsid() < 0) {
    e = StepFailed(SetupStep::kNewSession, errno);
  }
  if (!e.failed()) e = ChangeDirectory(plan);
  ::umask(plan.umask);
  if (!e.failed()) e = CloseDescriptorsExcept(plan.pass_fds.data(), plan.pass_fds.size());
  if (!e.failed()) e = InheritDescriptors(plan.pass_fds.data(), plan.pass_fds.size());
  if (!e.failed()) e = DropCapabilities(plan.last_capability);
  if (!e.failed()) e = SetNoNewPrivs();
  if (e.failed()) FailWith(plan, RecordKind::kSetupError, e, kExitSandboxFailure);

  e = ExecuteJob(plan);
  FailWith(plan, RecordKind::kExecError, e, e.error == ENOENT ? kExitNotFound : kExitCannotExecute);
}

}  // namespace

[[noreturn]] void RunSandbox(const ChildPlan& plan) noexcept {
  // Die with the supervisor. Set before waiting on it, so a supervisor that died in between
  // is caught by the EOF in WaitForIdMaps.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  WaitForIdMaps(plan);
  // Out of the caller's process group: terminal signals reach the supervisor only, which
  // forwards them once.
  ::setsid();
  ::umask(0);  // modes in the plan are exact

  StepError e = BuildFilesystem(plan);
  if (!e.failed()) e = SetHostname(plan.hostname);
  if (!e.failed() && plan.bring_up_loopback) e = BringUpLoopback();
  if (!e.failed()) {
    WipeInheritedImage(plan);
    int keep[kMaxKeptFds];
    size_t count = 0;
    bool placed = false;
    for (int fd : plan.pass_fds) {
      if (!placed && plan.sync_fd < fd) {
        keep[count++] = plan.sync_fd;
        placed = true;
      }
      if (count < kMaxKeptFds) keep[count++] = fd;
    }
    if (!placed) keep[count++] = plan.sync_fd;
    e = CloseDescriptorsExcept(keep, count);
  }
  if (e.failed()) FailWith(plan, RecordKind::kSetupError, e, kExitSandboxFailure);

  pid_t job = ::fork();
  if (job < 0)
    FailWith(plan, RecordKind::kSetupError, StepFailed(SetupStep::kForkJob, errno),
             kExitSandboxFailure);
  if (job == 0) RunJob(plan);
  // pid 1 keeps nothing the job could want: the pass-through descriptors are the job's now.
  // Likewise its stdio: the caller's terminal or pipes stay with the job alone.
  for (int fd : plan.pass_fds) ::close(fd);
  for (int fd = 0; fd <= 2; ++fd) ::close(fd);
  init::RunInit(job, plan.sync_fd);
}

}  // namespace sandbox::child

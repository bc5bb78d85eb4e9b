#include "child/setup.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

#include "child/caps.h"
#include "child/exec.h"
#include "child/fds.h"
#include "child/landlock.h"
#include "child/mounts.h"
#include "child/net.h"
#include "common/exit_status.h"
#include "common/record.h"
#include "init/init.h"

namespace sandbox::child {
namespace {

constexpr size_t kMaxKeptFds = 256;

int64_t Now() noexcept {
  struct timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// --verbose: tells the supervisor a step finished and how long it took since *since, then
// restarts the clock.
void ReportStep(const ChildPlan& plan, SetupStep step, int op_index, int64_t* since) noexcept {
  if (!plan.report_steps) return;
  int64_t now = Now();
  SendRecord(plan.sync_fd, MakeStepRecord(step, op_index, now - *since));
  *since = Now();
}

SetupStep StepFor(MountKind kind) noexcept {
  switch (kind) {
    case MountKind::kBind:
    case MountKind::kReadOnlyBind:
    case MountKind::kDevBind:
      return SetupStep::kBindMount;
    case MountKind::kTmpfs:
      return SetupStep::kMountTmpfs;
    case MountKind::kProc:
      return SetupStep::kMountProc;
    case MountKind::kDev:
      return SetupStep::kMountDev;
    case MountKind::kDir:
      return SetupStep::kMakeDirectory;
    case MountKind::kSymlink:
      return SetupStep::kMakeSymlink;
    case MountKind::kFile:
      return SetupStep::kWriteFile;
    case MountKind::kMask:
      return SetupStep::kMaskPath;
    case MountKind::kRemountReadOnly:
      return SetupStep::kRemountReadOnly;
  }
  return SetupStep::kCount;
}

// The sync socket plus --pass-fd descriptors, sorted, as CloseDescriptorsExcept wants them.
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

StepError BuildFilesystem(const ChildPlan& plan, int64_t* clock) noexcept {
  RootFds fds;
  StepError e = PrepareStagingRoot(&fds);
  if (e.failed()) return e;
  ReportStep(plan, SetupStep::kMountStagingRoot, -1, clock);
  for (const MountStep& step : plan.mounts) {
    e = ApplyMountStep(fds, step);
    if (e.failed()) return e;
    ReportStep(plan, StepFor(step.kind), step.op_index, clock);
  }
  e = EnterNewRoot(&fds);
  if (!e.failed()) ReportStep(plan, SetupStep::kPivotRoot, -1, clock);
  return e;
}

StepError ChangeDirectory(const ChildPlan& plan) noexcept {
  if (::chdir(plan.cwd) == 0) return StepOk();
  if (plan.cwd_required) return StepFailed(SetupStep::kChangeDirectory, errno, plan.cwd);
  // The caller's directory is only a preference, as in bubblewrap.
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

// The job, from fork to execve. The order matters: everything needing privilege first, then
// capabilities go, then no_new_privs; the seccomp filter (when there is one) comes last.
[[noreturn]] void RunJob(const ChildPlan& plan) noexcept {
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  int64_t clock = Now();
  StepError e;
  // A new session detaches the job from the caller's terminal, so TIOCSTI cannot push
  // keystrokes into the caller's shell.
  if (plan.new_session && ::setsid() < 0) {
    e = StepFailed(SetupStep::kNewSession, errno);
  }
  if (!e.failed()) e = ChangeDirectory(plan);
  ::umask(plan.umask);
  // The sync socket stays: it is close-on-exec, and carries an exec failure if there is one.
  int keep[kMaxKeptFds];
  size_t count = KeptDescriptors(plan, keep);
  if (!e.failed()) e = CloseDescriptorsExcept(keep, count);
  if (!e.failed()) e = InheritDescriptors(plan.pass_fds.data(), plan.pass_fds.size());
  if (!e.failed()) e = SetResourceLimits(plan);
  if (!e.failed()) e = ApplyLandlock(plan);
  if (!e.failed()) e = DropCapabilities(plan.last_capability);
  if (!e.failed()) e = SetNoNewPrivs();
  if (e.failed()) FailWith(plan, RecordKind::kSetupError, e, kExitSandboxFailure);
  ReportStep(plan, SetupStep::kDropCapabilities, -1, &clock);

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

  int64_t clock = Now();
  ReportStep(plan, SetupStep::kWaitForIdMaps, -1, &clock);
  StepError e = BuildFilesystem(plan, &clock);
  if (!e.failed()) e = SetHostname(plan.hostname);
  if (!e.failed() && plan.bring_up_loopback) e = BringUpLoopback();
  if (!e.failed()) {
    ReportStep(plan, SetupStep::kBringUpLoopback, -1, &clock);
    WipeInheritedImage(plan);
    int keep[kMaxKeptFds];
    size_t count = KeptDescriptors(plan, keep);
    e = CloseDescriptorsExcept(keep, count);
  }
  if (e.failed()) FailWith(plan, RecordKind::kSetupError, e, kExitSandboxFailure);
  ReportStep(plan, SetupStep::kCloseInheritedFds, -1, &clock);

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

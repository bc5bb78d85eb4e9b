#include "child/setup.h"

#include <fcntl.h>
#include <sched.h>
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
#include "child/id_maps.h"
#include "child/job.h"
#include "child/landlock.h"
#include "child/mounts.h"
#include "child/net.h"
#include "child/terminal.h"
#include "common/exit_status.h"
#include "common/record.h"
#include "init/init.h"

namespace sandbox::child {
namespace {

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

// PR_SET_PDEATHSIG only covers a supervisor that dies after it was set: one that died before
// has already closed its end of the socket, which reads as EOF. Leave quietly then.
void ExitIfSupervisorGone(const ChildPlan& plan) noexcept {
  char byte = 0;
  ssize_t n;
  do {
    n = ::recv(plan.sync_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n == 0) ::_exit(kExitSandboxFailure);
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
    if (!e.failed() && step.target[0] == '\0') e = RefreshNewRoot(&fds);
    if (e.failed()) return e;
    ReportStep(plan, StepFor(step.kind), step.op_index, clock);
  }
  e = EnterNewRoot(&fds);
  if (!e.failed()) ReportStep(plan, SetupStep::kPivotRoot, -1, clock);
  return e;
}

struct JobStart {
  const ChildPlan* plan;
  int terminal_slave;
};

int StartJob(void* arg) {
  const auto* start = static_cast<const JobStart*>(arg);
  RunJob(*start->plan, start->terminal_slave);
}

// The job, sharing pid 1's memory until its execve or exit (pid 1 is suspended until then, and
// the job writes nothing of pid 1's but its own stack). fork() when no stack was mapped.
pid_t StartJobProcess(const ChildPlan& plan, int terminal_slave) noexcept {
  void* stack = plan.job_stack.top();
  if (stack == nullptr) {
    pid_t pid = ::fork();
    if (pid == 0) RunJob(plan, terminal_slave);
    return pid;
  }
  JobStart start{&plan, terminal_slave};
  return ::clone(StartJob, stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
}

}  // namespace

[[noreturn]] void RunSandbox(const ChildPlan& plan) noexcept {
  // Die with the supervisor.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  ExitIfSupervisorGone(plan);
  int64_t clock = MonotonicNow();
  // No handshake: the supervisor goes on with its own bookkeeping meanwhile.
  StepError e = WriteOwnIdMaps(plan);
  if (e.failed()) FailWith(plan, RecordKind::kSetupError, e, kExitSandboxFailure);
  ReportStep(plan, SetupStep::kWriteIdMaps, -1, &clock);
  // Out of the caller's process group: terminal signals reach the supervisor only, which
  // forwards them once.
  ::setsid();
  ::umask(0);  // modes in the plan are exact

  e = BuildFilesystem(plan, &clock);
  if (!e.failed() && plan.set_hostname) e = SetHostname(plan.hostname);
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
  // bwrap --lock-file: POSIX locks belong to this process and are not inherited by the job;
  // they go when pid 1 (and with it the sandbox) ends. Close-on-exec for --as-pid-1.
  for (const char* path : plan.lock_files) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    struct flock lock = {};
    lock.l_type = F_RDLCK;
    lock.l_whence = SEEK_SET;
    if (fd < 0 || ::fcntl(fd, F_SETLK, &lock) < 0) {
      FailWith(plan, RecordKind::kSetupError, StepFailed(SetupStep::kLockFile, errno, path),
               kExitSandboxFailure);
    }
  }
  int terminal_slave = -1;
  if (plan.terminal) {
    e = OpenTerminal(plan, &terminal_slave);
    if (e.failed()) FailWith(plan, RecordKind::kSetupError, e, kExitSandboxFailure);
    ReportStep(plan, SetupStep::kOpenTerminal, -1, &clock);
  }

  // bwrap --as-pid-1: no init; the job's status is pid 1's exit status.
  if (plan.job_is_pid1) RunJob(plan, terminal_slave);
  pid_t job = StartJobProcess(plan, terminal_slave);
  if (job < 0)
    FailWith(plan, RecordKind::kSetupError, StepFailed(SetupStep::kForkJob, errno),
             kExitSandboxFailure);
  if (terminal_slave >= 0) ::close(terminal_slave);
  // pid 1 keeps nothing the job could want: the pass-through descriptors are the job's now.
  // Likewise its stdio: the caller's terminal or pipes stay with the job alone.
  for (int fd : plan.pass_fds) ::close(fd);
  for (int fd = 0; fd <= 2; ++fd) ::close(fd);
  init::RunInit(job, plan.sync_fd, plan.own_pid_namespace);
}

}  // namespace sandbox::child

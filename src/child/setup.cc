#include "child/setup.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "child/caps.h"
#include "child/egress.h"
#include "child/exec.h"
#include "child/fds.h"
#include "child/id_maps.h"
#include "child/job.h"
#include "child/landlock.h"
#include "child/mounts.h"
#include "child/net.h"
#include "child/terminal.h"
#include "child/user_limits.h"
#include "child/userns.h"
#include "common/exit_status.h"
#include "common/landlock_abi.h"
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
    case MountKind::kOverlay:
    case MountKind::kTmpOverlay:
    case MountKind::kReadOnlyOverlay:
      return SetupStep::kMountOverlay;
    case MountKind::kMqueue:
      return SetupStep::kMountMqueue;
    case MountKind::kChmod:
      return SetupStep::kChangeMode;
    case MountKind::kBindData:
    case MountKind::kReadOnlyBindData:
      return SetupStep::kBindData;
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

// Blocks until the supervisor sends its one byte; EOF means it died: leave quietly.
void WaitForGo(const ChildPlan& plan) noexcept {
  if (!AwaitByte(plan.sync_fd)) ::_exit(kExitSandboxFailure);
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

// bwrap mode, pid 1 after the fork: every inherited descriptor went to the job; pid 1 keeps
// the supervisor socket, --sync-fd (its holder while the sandbox lives) and its lock files.
void KeepOnlyInitDescriptors(const ChildPlan& plan, const int* lock_fds,
                             size_t lock_count) noexcept {
  int keep[kMaxKeptFds];
  size_t count = 0;
  keep[count++] = plan.sync_fd;
  if (plan.hold_fd > 2) keep[count++] = plan.hold_fd;
  for (size_t i = 0; i < lock_count && count < kMaxKeptFds; ++i) keep[count++] = lock_fds[i];
  std::sort(keep, keep + count);  // as CloseDescriptorsExcept wants them
  (void)CloseDescriptorsExcept(keep, count);
}

// What the filesystem steps leave pid 1: the job's Landlock ruleset, and the bounded tmpfs
// mounts it watches. Fixed-size: the child does not allocate.
constexpr size_t kMaxBounded = 32;
constexpr size_t kMaxDevMounts = 8;
struct Built {
  int ruleset = -1;
  init::BoundedMount bounded[kMaxBounded];
  size_t bounded_count = 0;
};

// Keeps `fd` (taking it) as a bounded mount pid 1 looks at after the job; past kMaxBounded
// mounts the rest go unwatched (their bound holds all the same).
void Watch(Built* built, int fd, const MountStep& step) noexcept {
  if (built->bounded_count == kMaxBounded) {
    ::close(fd);
    return;
  }
  built->bounded[built->bounded_count++] = {fd, step.watch_target, step.size_bytes, step.op_index};
}

// One step's descriptors: its Landlock rule (made from the very mount or directory the step
// made, never from its name), its watch, and for /dev its seal. Closes what is not kept.
StepError TakeMounted(const ChildPlan& plan, const MountStep& step, Mounted* mounted, Built* built,
                      int* dev_fds, size_t* dev_count) noexcept {
  StepError e = StepOk();
  if (built->ruleset >= 0 && mounted->fd >= 0 && step.landlock_access != 0) {
    e = AddLandlockRule(plan, built->ruleset, mounted->fd, step.landlock_access, step.target);
    if (!e.failed()) ReportLandlockObject(plan.sync_fd, mounted->fd, step.target);
  }
  if (!e.failed() && built->ruleset >= 0 && mounted->shm_fd >= 0) {
    e = AddLandlockRule(plan, built->ruleset, mounted->shm_fd, landlock::kWrite, "dev/shm");
    if (!e.failed()) ReportLandlockObject(plan.sync_fd, mounted->shm_fd, "dev/shm");
  }
  if (!e.failed() && plan.seal_own_mounts && step.kind == MountKind::kDev && mounted->fd >= 0) {
    if (*dev_count == kMaxDevMounts) {
      e = StepFailed(SetupStep::kSealMounts, EMFILE, step.target, "too many /dev mounts");
    } else {
      dev_fds[(*dev_count)++] = mounted->fd;
      mounted->fd = -1;
    }
  }
  if (!e.failed() && step.watch_full) {
    int* fd = step.kind == MountKind::kDev ? &mounted->shm_fd : &mounted->fd;
    if (*fd >= 0) {
      Watch(built, *fd, step);
      *fd = -1;
    }
  }
  if (mounted->fd >= 0) ::close(mounted->fd);
  if (mounted->shm_fd >= 0) ::close(mounted->shm_fd);
  return e;
}

// The job's share of the caller's per-user kernel objects, unless a fresh proc of the mount
// steps took it already: through the host's /proc, still reachable under the staging root.
StepError BoundUserLimits(const ChildPlan& plan, bool written, int64_t* clock) noexcept {
  if (plan.user_limits_error != nullptr) {
    return StepFailed(SetupStep::kBoundUserLimits, 0, nullptr, plan.user_limits_error);
  }
  if (!written && !plan.user_limits.empty()) {
    int dir = ::open("/oldroot/proc/sys/user", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return StepFailed(SetupStep::kBoundUserLimits, errno, "/proc/sys/user");
    StepError e = WriteUserLimits(dir, plan.user_limits.data(), plan.user_limits.size());
    ::close(dir);
    if (e.failed()) return e;
  }
  if (!plan.user_limits.empty()) ReportStep(plan, SetupStep::kBoundUserLimits, -1, clock);
  return StepOk();
}

StepError BuildFilesystem(const ChildPlan& plan, int64_t* clock, Built* built) noexcept {
  RootFds fds;
  StepError e = PrepareStagingRoot(plan, &fds);
  if (!e.failed()) e = CreateLandlockRuleset(plan, &built->ruleset);
  if (e.failed()) return e;
  ReportStep(plan, SetupStep::kMountStagingRoot, -1, clock);
  int dev_fds[kMaxDevMounts];
  size_t dev_count = 0;
  bool limits_written = false;
  for (const MountStep& step : plan.mounts) {
    Mounted mounted;
    e = ApplyMountStep(fds, step, &mounted);
    limits_written |= mounted.wrote_user_limits;
    if (!e.failed() && step.target[0] == '\0') e = RefreshNewRoot(&fds);
    StepError taken = TakeMounted(plan, step, &mounted, built, dev_fds, &dev_count);
    if (!e.failed()) e = taken;
    if (e.failed()) break;
    ReportStep(plan, StepFor(step.kind), step.op_index, clock);
  }
  if (!e.failed()) e = BoundUserLimits(plan, limits_written, clock);
  if (!e.failed() && plan.seal_own_mounts) {
    e = SealOwnMounts(fds, dev_fds, dev_count);
    if (!e.failed()) ReportStep(plan, SetupStep::kSealMounts, -1, clock);
  }
  for (size_t i = 0; i < dev_count; ++i) ::close(dev_fds[i]);
  // Everything visible is readable: the rule on the root the job will see.
  if (!e.failed() && built->ruleset >= 0) {
    e = AddLandlockRule(plan, built->ruleset, fds.new_root, landlock::kRead, "/");
    if (!e.failed()) ReportLandlockObject(plan.sync_fd, fds.new_root, "/");
  }
  if (e.failed()) return e;
  e = EnterNewRoot(&fds);
  if (!e.failed()) ReportStep(plan, SetupStep::kPivotRoot, -1, clock);
  return e;
}

struct JobStart {
  const ChildPlan* plan;
  int terminal_slave;
  int ruleset;
};

int StartJob(void* arg) {
  const auto* start = static_cast<const JobStart*>(arg);
  RunJob(*start->plan, start->terminal_slave, start->ruleset);
}

// bwrap mode: bubblewrap's reaper holds no capabilities (`getpcaps 1` shows none). The job
// needs them for its own steps, so it is forked with them, and waits until pid 1 has dropped
// its own: nothing the job runs can see pid 1 still privileged.
pid_t StartJobAfterInitDropsCaps(const ChildPlan& plan, int terminal_slave, int ruleset) noexcept {
  int gate[2];
  if (::pipe2(gate, O_CLOEXEC) < 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(gate[1]);
    (void)AwaitByte(gate[0]);  // end of file once pid 1 has dropped its capabilities
    ::close(gate[0]);
    RunJob(plan, terminal_slave, ruleset);
  }
  ::close(gate[0]);
  // With no capability at all pid 1 would be the job's to ptrace (bubblewrap's reaper is): a
  // tracer needs every capability its tracee has permitted. So pid 1 keeps one it never uses
  // and that means nothing in a user namespace, permitted only (effective stays empty, as
  // bubblewrap's `getpcaps 1` shows). Non-dumpable would do too but also shuts the caller
  // out of /proc/PID/ns: pid 1's memory belongs to the host's user namespace until an exec.
  if (pid > 0) (void)ClearCapabilitySets(uint64_t{1} << CAP_WAKE_ALARM);
  ::close(gate[1]);  // end of file: the job goes on
  return pid;
}

// The job, sharing pid 1's memory until its execve or exit (pid 1 is suspended until then, and
// the job writes nothing of pid 1's but its own stack). fork() when no stack was mapped.
pid_t StartJobProcess(const ChildPlan& plan, int terminal_slave, int ruleset) noexcept {
  if (plan.init_drops_caps) return StartJobAfterInitDropsCaps(plan, terminal_slave, ruleset);
  void* stack = plan.job_stack.top();
  if (stack == nullptr) {
    pid_t pid = ::fork();
    if (pid == 0) RunJob(plan, terminal_slave, ruleset);
    return pid;
  }
  JobStart start{&plan, terminal_slave, ruleset};
  return ::clone(StartJob, stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
}

}  // namespace

[[noreturn]] void RunSandbox(const ChildPlan& plan) noexcept {
  // Die with the supervisor.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  ExitIfSupervisorGone(plan);
  int64_t clock = plan.report_steps ? MonotonicNow() : 0;
  // No handshake: the supervisor goes on with its own bookkeeping meanwhile. (bwrap's
  // --userns-block-fd is the exception: the caller maps us, then the supervisor says go.)
  if (plan.wait_for_go) WaitForGo(plan);
  StepError e = plan.write_id_maps ? WriteOwnIdMaps(plan) : StepOk();
  if (e.failed()) FailWith(plan, RecordKind::kSetupError, e, kExitSandboxFailure);
  ReportStep(plan, SetupStep::kWriteIdMaps, -1, &clock);
  // bwrap --userns: before any setup, as bubblewrap's switch_to_user_with_privs; the mounts are
  // made as those ids. Then make sure the supervisor did not die while the death signal was off.
  if (plan.switch_uid != static_cast<uid_t>(-1) || plan.switch_gid != static_cast<gid_t>(-1)) {
    e = SwitchToRequestedIds(plan);
    if (e.failed()) FailWith(plan, RecordKind::kSetupError, e, kExitSandboxFailure);
    ExitIfSupervisorGone(plan);
  }
  // Out of the caller's process group: terminal signals reach the supervisor only, which
  // forwards them once. (bwrap mode stays, as bubblewrap does: the command keeps the caller's
  // terminal unless --new-session.)
  if (plan.own_session) ::setsid();
  ::umask(0);  // modes in the plan are exact
  // The host's /proc, for the nested user namespace's maps once the host tree is gone.
  int proc_fd = -1;
  if (plan.nest_userns) proc_fd = ::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);

  static Built built;  // static: the child's stack stays small; pid 1 is single-threaded
  e = BuildFilesystem(plan, &clock, &built);
  if (!e.failed() && plan.set_hostname) e = SetHostname(plan.hostname);
  if (!e.failed() && plan.bring_up_loopback) e = BringUpLoopback();
  // Binding port 53 needs CAP_NET_BIND_SERVICE in the namespace's owner: before any drop.
  if (!e.failed() && plan.egress) e = SetUpEgress(plan.sync_fd, plan.egress_proxy_port);
  // Last of the privileged steps: after these, pid 1 has no capabilities over the mounts,
  // hostname or network it set up.
  if (!e.failed() && plan.userns2_fd >= 0 && ::setns(plan.userns2_fd, CLONE_NEWUSER) != 0) {
    e = StepFailed(SetupStep::kJoinUserNamespace, errno, nullptr, "--userns2");
  }
  if (!e.failed() && plan.nest_userns) {
    e = proc_fd < 0 ? StepFailed(SetupStep::kNestUserNamespace, EBADF, "/proc")
                    : NestUserNamespace(plan, proc_fd);
  }
  if (proc_fd >= 0) ::close(proc_fd);
  if (!e.failed() && (plan.disable_userns || plan.assert_userns_disabled)) {
    e = CheckUserNamespacesDisabled();
  }
  if (!e.failed()) {
    ReportStep(plan, SetupStep::kBringUpLoopback, -1, &clock);
    WipeInheritedImage(plan);
    // bwrap mode: the caller's descriptors are the job's (they are closed in pid 1 later).
    if (!plan.inherit_fds) {
      int keep[kMaxKeptFds];
      size_t count = KeptDescriptors(plan, keep);
      // The job's ruleset and pid 1's watched mounts stay too.
      if (built.ruleset >= 0 && count < kMaxKeptFds) keep[count++] = built.ruleset;
      for (size_t i = 0; i < built.bounded_count && count < kMaxKeptFds; ++i) {
        keep[count++] = built.bounded[i].fd;
      }
      std::sort(keep, keep + count);
      e = CloseDescriptorsExcept(keep, count);
    }
  }
  if (e.failed()) FailWith(plan, RecordKind::kSetupError, e, kExitSandboxFailure);
  ReportStep(plan, SetupStep::kCloseInheritedFds, -1, &clock);
  // bwrap --lock-file: POSIX locks belong to this process and are not inherited by the job;
  // they go when pid 1 (and with it the sandbox) ends. Close-on-exec for --as-pid-1.
  int lock_fds[kMaxKeptFds];
  size_t lock_count = 0;
  for (const char* path : plan.lock_files) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && lock_count < kMaxKeptFds) lock_fds[lock_count++] = fd;
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

  // The sandbox is built: from here on `sandbox enter` may join it (the supervisor lists the
  // run only now; joining earlier would land in a half-built mount namespace, or the host's
  // tree before pivot_root). The job's own hardening follows, in the job.
  SendRecord(plan.sync_fd, MakeReadyRecord());
  // bwrap --as-pid-1: no init; the job's status is pid 1's exit status.
  if (plan.job_is_pid1) RunJob(plan, terminal_slave, built.ruleset);
  pid_t job = StartJobProcess(plan, terminal_slave, built.ruleset);
  if (job < 0)
    FailWith(plan, RecordKind::kSetupError, StepFailed(SetupStep::kForkJob, errno),
             kExitSandboxFailure);
  if (terminal_slave >= 0) ::close(terminal_slave);
  if (built.ruleset >= 0) ::close(built.ruleset);  // the job's alone
  // pid 1 keeps nothing the job could want: the pass-through descriptors are the job's now.
  // Likewise its stdio: the caller's terminal or pipes stay with the job alone.
  for (int fd : plan.pass_fds) ::close(fd);
  if (plan.inherit_fds) KeepOnlyInitDescriptors(plan, lock_fds, lock_count);
  for (int fd = 0; fd <= 2; ++fd) ::close(fd);
  init::RunInit(job, plan.sync_fd, plan.own_pid_namespace, built.bounded, built.bounded_count);
}

}  // namespace sandbox::child

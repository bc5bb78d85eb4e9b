#include "launch/supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include "child/landlock_only.h"
#include "child/setup.h"
#include "common/read_text.h"
#include "common/syscalls.h"
#include "common/unique_fd.h"
#include "init/init.h"
#include "launch/cgroup.h"
#include "launch/egress_link.h"
#include "launch/landlock_only.h"
#include "launch/listener_receiver.h"
#include "launch/terminal_relay.h"
#include "seccomp/listener.h"

namespace sandbox::launch {
namespace {

uint64_t NamespaceFlags(const policy::Policy& policy) { return policy.namespaces(); }

// clone3 with CLONE_PIDFD: the pidfd names this child forever, so signals can never reach a
// recycled pid. Falls back to clone(2) where a seccomp filter around us hides clone3.
pid_t CloneSandbox(uint64_t namespace_flags, int* pidfd, int cgroup_fd) {
  sys::CloneArgs args;
  args.flags = namespace_flags | CLONE_PIDFD;
  if (cgroup_fd >= 0) {
    // Born in its cgroup: no moment where the sandbox runs unlimited (clone3(2)).
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  args.pidfd = reinterpret_cast<uint64_t>(pidfd);
  args.exit_signal = SIGCHLD;
  long pid = sys::Clone3(&args);
  if (pid < 0 && errno == ENOSYS && cgroup_fd < 0) {
    pid = ::syscall(SYS_clone, namespace_flags | CLONE_PIDFD | SIGCHLD, nullptr, pidfd, nullptr,
                    nullptr);
  }
  return static_cast<pid_t>(pid);
}

// Yama's ptrace_scope 3 refuses every attach, pidfd_getfd(2) included: the job's listener
// then comes through a helper process instead (common/listener_handover.h).
bool YamaAllowsAttach() {
  int fd = ::open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;  // no Yama
  char scope = '0';
  ssize_t n = ::read(fd, &scope, 1);
  ::close(fd);
  return n != 1 || scope != '3';
}

Error CloneError(int err) {
  Error e = MakeError("cannot create the sandbox's namespaces", err);
  if (err == EPERM || err == ENOSPC || err == EUSERS || err == EACCES || err == EINVAL) {
    // EINVAL: a nested sandbox's seccomp filter or a container runtime's may answer so.
    e.hint =
        "user namespaces are refused here (a container, a nested sandbox, a sysctl). "
        "--isolation landlock runs without namespaces instead, at a cost: the job sees the "
        "host's processes, hostname and abstract sockets, and Landlock, seccomp and rlimits are "
        "all that fence it; docs/ci.md (see: sandbox doctor)";
  }
  return e;
}

// CPU time and peak RSS of every process of the sandbox that was reaped: pid 1 reaps the job
// and the orphans, and its own children's usage is added to ours when we reap it
// (getrusage(2)). The supervisor has no other children.
report::Outcome::Usage ChildrenUsage() {
  struct rusage usage = {};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  report::Outcome::Usage result;
  result.user_microseconds = usage.ru_utime.tv_sec * 1'000'000 + usage.ru_utime.tv_usec;
  result.system_microseconds = usage.ru_stime.tv_sec * 1'000'000 + usage.ru_stime.tv_usec;
  result.max_rss_bytes = static_cast<uint64_t>(usage.ru_maxrss) * 1024;  // ru_maxrss is in KiB
  return result;
}

class Supervisor {
 public:
  Supervisor(const policy::Policy& policy, child::ChildPlan& plan, RunObserver* observer)
      : policy_(policy), plan_(plan), observer_(observer != nullptr ? observer : &no_observer_) {
    if (policy_.seccomp() && plan_.seccomp_listener) seccomp_.emplace(*policy_.seccomp());
  }

  Result<report::Outcome> Run() {
    if (policy_.die_with_parent()) {
      pid_t parent = ::getppid();
      ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      if (::getppid() != parent) return MakeError("the calling process already exited");
    }
    // Blocked before clone so pid 1 starts with them blocked too (it takes them with
    // sigwaitinfo); the supervisor reads its own through a signalfd.
    sigset_t forwarded;
    init::ForwardedSignalSet(&forwarded);
    // --tty: window size changes and stops are the relay's (TerminalRelay::OnSignal), not
    // pid 1's.
    if (policy_.terminal()) TerminalRelay::AddSignals(&forwarded);
    sigset_t old_mask;
    ::sigprocmask(SIG_BLOCK, &forwarded, &old_mask);

    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
      return MakeError("cannot create the supervisor socket", errno);
    }
    UniqueFd parent_end(pair[0]);
    UniqueFd child_end(pair[1]);
    plan_.sync_fd = child_end.get();
    plan_.seccomp_listener_pull = YamaAllowsAttach();

    if (policy_.cgroup().any()) {
      if (auto r = CreateCgroup(); !r) return r.error();
    }
    if (auto r = JoinNamespaces(); !r) return r.error();
    if (plan_.landlock_only) {
      if (auto r = PrepareLandlockOnly(); !r) return r.error();
    }
    if (policy_.verbose() && plan_.main_started_ns != 0) {
      struct timespec now;
      ::clock_gettime(CLOCK_MONOTONIC, &now);
      int64_t took = int64_t{now.tv_sec} * 1000000000 + now.tv_nsec - plan_.main_started_ns;
      std::fprintf(stderr, "sandbox: %8.3f ms  prepare the run (from main to clone)\n",
                   static_cast<double>(took) / 1e6);
    }
    int pidfd = -1;
    pid_t pid = CloneSandbox(NamespaceFlags(policy_), &pidfd, cgroup_ ? cgroup_->dir_fd() : -1);
    if (pid < 0) return CloneError(errno);
    if (pid == 0) {
      parent_end.Reset();
      if (plan_.landlock_only) child::RunLandlockOnly(plan_);
      child::RunSandbox(plan_);
    }
    pidfd_.Reset(pidfd);
    pid_ = pid;
    child_end.Reset();
    sync_ = std::move(parent_end);
    // The proxy is started when the job first needs it (a lookup or a connection waits on
    // one of the sockets pid 1 made for it, or the fence routes a connect): its start costs
    // as much CPU as the sandbox's set-up, which a run that never uses the network should
    // not pay. Until then the loop holds the sockets and polls them.
    if (policy_.egress().on() && plan_.egress) {
      auto link = EgressLink::Start(policy_.egress());
      if (!link) {
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
        }
        return link.error();
      }
      egress_ = std::move(*link);
      if (seccomp_) seccomp_->set_egress_router(egress_.get());
    }

    if (policy_.verbose() && plan_.landlock_only) {
      std::fprintf(stderr, "sandbox: started pid %d without namespaces (--isolation landlock)\n",
                   pid);
    } else if (policy_.verbose()) {
      std::fprintf(stderr, "sandbox: started pid %d in new namespaces (uid %u -> %u inside)\n", pid,
                   policy_.identity().outer_uid, policy_.identity().inner_uid);
    }
    // The child maps its own ids (child/id_maps.h) and does not wait for anything from us,
    // except under bwrap's --userns-block-fd: the caller writes the maps once --info-fd told
    // it the pid, and says so on that descriptor; then the child may go on.
    observer_->OnStarted(pid_, pidfd_.get());
    // No pid 1 to say the sandbox is built: without namespaces there is nothing to build.
    if (plan_.landlock_only) observer_->OnReady();
    if (policy_.coordination().userns_block_fd >= 0) {
      char byte;
      while (::read(policy_.coordination().userns_block_fd, &byte, 1) < 0 && errno == EINTR) {
      }
      char go = 1;
      (void)::send(sync_.get(), &go, 1, MSG_NOSIGNAL);
    }
    auto outcome = Loop(forwarded);
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    return outcome;
  }

  ~Supervisor() {
    RemovePrivateTmp(private_tmp_);
    if (subreaper_) ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
  }

 private:
  // --isolation landlock: the supervisor becomes a subreaper, so what the job leaves behind
  // (a daemon that double-forked) is reparented to it and killed at the end (no pid namespace
  // does it). A /tmp tmpfs in the profile becomes a private directory of the job's.
  Result<void> PrepareLandlockOnly() {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
      return MakeError("cannot become a subreaper for --isolation landlock", errno);
    }
    subreaper_ = true;
    if (!policy_.landlock_only().private_tmp) return {};
    auto dir = MakePrivateTmp();
    if (!dir) return dir.error();
    private_tmp_ = *dir;
    UsePrivateTmp(private_tmp_, &plan_);
    // The socket fence lets the job reach sockets it made there.
    if (seccomp_) {
      seccomp::Settings settings = *policy_.seccomp();
      if (settings.socket_dirs) settings.socket_dirs->push_back(private_tmp_);
      seccomp_.emplace(std::move(settings));
    }
    return {};
  }

  // bwrap's --userns and --pidns: the sandbox is cloned into the caller's namespaces instead
  // of new ones. A pid namespace joined by setns(2) holds our children, not us; with
  // --unshare-pid too the new one nests under it.
  Result<void> JoinNamespaces() {
    const policy::Coordination& c = policy_.coordination();
    if (c.userns_fd >= 0 && ::setns(c.userns_fd, CLONE_NEWUSER) != 0) {
      if (errno == EINVAL) {
        return MakeError(
            "Joining the specified user namespace failed, it might not be a descendant of the "
            "current user namespace.");
      }
      return MakeError("Joining specified user namespace failed", errno);
    }
    if (c.pidns_fd >= 0 && ::setns(c.pidns_fd, CLONE_NEWPID) != 0) {
      return MakeError("Setting pidns failed", errno);
    }
    return {};
  }

  Result<report::Outcome> Loop(const sigset_t& forwarded) {
    sigset_t only_forwarded = forwarded;
    sigdelset(&only_forwarded, SIGCHLD);
    UniqueFd signals(::signalfd(-1, &only_forwarded, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signals) return MakeError("cannot create a signalfd", errno);
    UniqueFd timer;
    if (policy_.timeout()) {
      timer.Reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
      if (!timer) return MakeError("cannot create a timer", errno);
      Arm(timer.get(), *policy_.timeout());
    }

    bool exited = false;
    while (!exited) {
      struct pollfd fds[12] = {
          {pidfd_.get(), POLLIN, 0},
          {signals.get(), POLLIN, 0},
          {sync_.get(), POLLIN, 0},
          {timer.get(), POLLIN, 0},
          {listener_fd_.get(), POLLIN, 0},
          {relay_ ? relay_->input() : -1, POLLIN, 0},
          {relay_ ? relay_->master() : -1, relay_ ? relay_->master_events() : short{0}, 0},
          {egress_ ? egress_->control_fd() : -1, POLLIN, 0},
          {-1, POLLIN, 0},
          {-1, POLLIN, 0},
          {-1, POLLIN, 0},
          {-1, POLLIN, 0},
      };
      // The proxy's sockets while it is not started: the first lookup or connection starts it.
      if (egress_) {
        std::vector<int> waiting = egress_->waiting_sockets();
        for (size_t i = 0; i < waiting.size() && i < 4; ++i) fds[8 + i].fd = waiting[i];
      }
      // Once the socket hung up, stop polling it or poll would spin on POLLHUP.
      if (sync_closed_) fds[2].fd = -1;
      if (terminal_closed_) fds[6].fd = -1;
      if (egress_closed_) fds[7].fd = -1;
      // Socket calls the fence made for the job and that would have blocked are retried.
      int wait_ms = listener_fd_ ? seccomp_->RetryTimeoutMs() : -1;
      int n = ::poll(fds, 12, wait_ms);
      if (n < 0) {
        if (errno == EINTR) continue;
        return MakeError("poll failed", errno);
      }
      if (wait_ms >= 0) seccomp_->RetryParked(listener_fd_.get());
      if (fds[1].revents & POLLIN) ForwardSignals(signals.get());
      if (fds[2].revents & (POLLIN | POLLHUP)) ReadRecords();
      if (fds[3].revents & POLLIN) OnTimer(timer.get());
      if (fds[8].revents | fds[9].revents | fds[10].revents | fds[11].revents) egress_->Spawn();
      if (fds[7].revents & POLLIN) egress_->ReadControl();
      // The proxy is gone (it failed to start, or was killed): its records stop there.
      if (fds[7].revents & (POLLHUP | POLLERR)) egress_closed_ = true;
      if (fds[5].revents & (POLLIN | POLLHUP)) relay_->OnInput();
      if (fds[6].revents != 0 && !relay_->OnMaster(fds[6].revents)) terminal_closed_ = true;
      // A filtered call waits for its answer: take it before anything slow. POLLHUP alone:
      // every filtered process is gone.
      if (fds[4].revents & POLLIN) {
        if (!seccomp_->HandleOne(listener_fd_.get())) listener_fd_.Reset();
      } else if (fds[4].revents & (POLLHUP | POLLERR | POLLNVAL)) {
        listener_fd_.Reset();
      }
      if (fds[0].revents & POLLIN) exited = true;
      // pid 1 reports the job's status only once every process of the sandbox is dead; what
      // is left is the kernel tearing the namespaces down (an RCU grace period for the mount
      // tree), which nothing needs to wait for unless it wants the whole tree's usage.
      if (job_status_ && plan_.own_pid_namespace && !observer_->WantsUsage() && !cgroup_) break;
    }
    int status = exited ? Reap() : 0;
    if (exited) ReadRecords();  // whatever pid 1 sent just before exiting
    if (subreaper_) {
      // What the job left: no pid 1 kills it here, we do (as pid 1's leftovers).
      int killed = KillRemainingChildren();
      if (killed > 0 || !leftovers_) leftovers_ = killed;
    }
    if (relay_) {
      relay_->Drain();
      relay_.reset();  // the caller's terminal modes come back before anything is printed
    }
    report::Outcome outcome = MakeOutcome(status);
    if (exited) outcome.usage = ChildrenUsage();
    if (cgroup_) {
      CgroupUsage usage = cgroup_->Finish();
      outcome.memory_peak = usage.memory_peak;
      outcome.oom_kills = usage.oom_kills;
    }
    if (seccomp_) AddDenials(*seccomp_, &outcome);
    if (egress_) {
      outcome.network_mode =
          policy_.egress().mode == policy::EgressPlan::Mode::kLog ? "log" : "allow-list";
      outcome.network = egress_->Finish();
      egress_.reset();
    }
    outcome.full_tmpfs = full_tmpfs_;
    observer_->OnFinished(outcome);
    return outcome;
  }

  static void Arm(int timer, std::chrono::milliseconds after) {
    struct itimerspec spec = {};
    spec.it_value.tv_sec = after.count() / 1000;
    spec.it_value.tv_nsec = (after.count() % 1000) * 1'000'000;
    ::timerfd_settime(timer, 0, &spec, nullptr);
  }

  void ForwardSignals(int signals) {
    struct signalfd_siginfo info;
    while (::read(signals, &info, sizeof(info)) == sizeof(info)) {
      if (policy_.terminal() && TerminalRelay::Handles(static_cast<int>(info.ssi_signo))) {
        if (relay_) relay_->OnSignal(static_cast<int>(info.ssi_signo));
        continue;
      }
      sys::PidfdSendSignal(pidfd_.get(), static_cast<int>(info.ssi_signo));
    }
  }

  // First expiry: SIGTERM to the job through pid 1. Second (after the grace period): SIGKILL
  // to pid 1, which takes the whole pid namespace down.
  void OnTimer(int timer) {
    uint64_t ticks = 0;
    if (::read(timer, &ticks, sizeof(ticks)) != sizeof(ticks)) return;
    if (!timed_out_) {
      timed_out_ = true;
      sys::PidfdSendSignal(pidfd_.get(), SIGTERM);
      Arm(timer, policy_.timeout_grace());
    } else {
      sys::PidfdSendSignal(pidfd_.get(), SIGKILL);
    }
  }

  void ReadRecords() {
    for (;;) {
      Record record;
      int passed = -1;
      ssize_t n = ReceiveRecord(sync_.get(), &record, &passed);
      UniqueFd attached(passed);
      if (n == static_cast<ssize_t>(sizeof(record))) {
        if (listener_receiver_.OnRecord(record, attached, sync_.get())) {
          if (listener_receiver_.has_listener() && seccomp_) {
            listener_fd_ = listener_receiver_.TakeListener();
          }
        } else if (record.kind == RecordKind::kTerminal) {
          if (attached && policy_.terminal() && !relay_) {
            relay_.emplace(std::move(attached), STDIN_FILENO, STDOUT_FILENO);
          }
        } else if (record.kind == RecordKind::kWorkspaceChanges) {
          if (attached) workspace_changes_ = std::make_shared<UniqueFd>(std::move(attached));
        } else if (record.kind == RecordKind::kLandlockObject) {
          record.path[sizeof(record.path) - 1] = '\0';
          observer_->OnLandlockObject(record);
        } else if (record.kind == RecordKind::kEgressSocket) {
          if (attached && egress_) egress_->AddSocket(record.op_index, std::move(attached));
        } else if (record.kind == RecordKind::kSandboxReady) {
          observer_->OnReady();
        } else if (record.kind == RecordKind::kJobExited) {
          job_status_ = record.status;
          leftovers_ = record.leftovers;
        } else if (record.kind == RecordKind::kTmpfsFull) {
          record.path[sizeof(record.path) - 1] = '\0';
          full_tmpfs_.push_back({"/" + std::string(record.path), record.bytes});
        } else if (record.kind == RecordKind::kStepDone) {
          if (policy_.verbose()) PrintStep(record);
          observer_->OnStep(record);
        } else if (!error_) {
          error_ = record;
        }
        continue;
      }
      if (n == 0) sync_closed_ = true;
      return;
    }
  }

  Result<void> CreateCgroup() {
    auto own_cgroup = ReadTextFile("/proc/self/cgroup");
    auto mountinfo = ReadTextFile("/proc/self/mountinfo");
    auto base = FindOwnCgroup(own_cgroup, mountinfo);
    if (!base) return base.error();
    const policy::CgroupRequest& request = policy_.cgroup();
    CgroupLimits limits{request.memory_max, request.pids_max, request.cpu_quota_us};
    auto run = RunCgroup::Create(*base, limits, ::getpid());
    if (!run) return run.error();
    cgroup_.emplace(std::move(run).value());
    return {};
  }

  // --verbose: one line per step as the child finishes it.
  void PrintStep(const Record& record) const {
    std::string what = SetupStepName(record.step);
    if (record.op_index >= 0 && static_cast<size_t>(record.op_index) < policy_.mounts().size()) {
      what += " " + policy_.mounts()[static_cast<size_t>(record.op_index)].target;
    }
    std::fprintf(stderr, "sandbox: %8.3f ms  %s\n", static_cast<double>(record.nanoseconds) / 1e6,
                 what.c_str());
  }

  int Reap() {
    siginfo_t info = {};
    while (::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.get()), &info,
                    WEXITED) < 0 &&
           errno == EINTR) {
    }
    if (info.si_code == CLD_EXITED) return W_EXITCODE(info.si_status, 0);
    return info.si_status & 0x7f;  // killed: a wait status with the signal number
  }

  report::Outcome MakeOutcome(int init_status) const {
    report::Outcome outcome = MakeOutcomeOfJob(init_status);
    if (leftovers_) outcome.leftover_processes_killed = static_cast<uint64_t>(*leftovers_);
    outcome.workspace_changes = workspace_changes_;
    outcome.nothing_of_host_mounted = std::none_of(
        policy_.mounts().begin(), policy_.mounts().end(),
        [](const policy::MountOp& op) { return IsBind(op.kind) || IsOverlay(op.kind); });
    return outcome;
  }

  report::Outcome MakeOutcomeOfJob(int init_status) const {
    report::Outcome outcome;
    if (error_) {
      outcome.kind = error_->kind == RecordKind::kExecError ? report::Outcome::Kind::kExecFailed
                                                            : report::Outcome::Kind::kSetupFailed;
      outcome.record = error_;
      return outcome;
    }
    if (timed_out_) {
      outcome.kind = report::Outcome::Kind::kTimedOut;
      return outcome;
    }
    if (!job_status_ && plan_.job_is_pid1) {
      // No init to report it: pid 1's own status is the job's.
      return OutcomeForStatus(init_status);
    }
    if (!job_status_) {
      outcome.kind = report::Outcome::Kind::kLost;
      if (WIFSIGNALED(init_status)) outcome.signal = WTERMSIG(init_status);
      return outcome;
    }
    return OutcomeForStatus(*job_status_);
  }

  static report::Outcome OutcomeForStatus(int status) {
    report::Outcome outcome;
    if (WIFEXITED(status)) {
      outcome.kind = report::Outcome::Kind::kExited;
      outcome.code = WEXITSTATUS(status);
    } else {
      outcome.kind = report::Outcome::Kind::kSignaled;
      outcome.signal = WTERMSIG(status);
    }
    return outcome;
  }

  const policy::Policy& policy_;
  child::ChildPlan& plan_;
  RunObserver no_observer_;
  RunObserver* observer_;
  UniqueFd pidfd_;
  UniqueFd sync_;
  pid_t pid_ = -1;
  bool sync_closed_ = false;
  bool timed_out_ = false;
  std::optional<int> job_status_;
  std::optional<int> leftovers_;  // from kJobExited
  std::vector<report::FullTmpfs> full_tmpfs_;
  std::shared_ptr<UniqueFd> workspace_changes_;  // --workspace overlay: the upper dir
  std::optional<Record> error_;
  std::optional<RunCgroup> cgroup_;
  std::optional<seccomp::Listener> seccomp_;  // answers the filter's notifications
  ListenerReceiver listener_receiver_;        // takes the job's listener
  std::unique_ptr<EgressLink> egress_;        // --allow-host: the proxy and the routes
  bool egress_closed_ = false;
  UniqueFd listener_fd_;
  std::optional<TerminalRelay> relay_;  // --tty
  bool subreaper_ = false;              // --isolation landlock
  std::string private_tmp_;             // --isolation landlock: the job's TMPDIR, removed after
  bool terminal_closed_ = false;
};

}  // namespace

void AddDenials(const seccomp::Listener& listener, report::Outcome* outcome) {
  for (const seccomp::Denial& d : listener.denials()) {
    std::optional<int64_t> pid;
    if (d.first_pid) pid = *d.first_pid;
    outcome->seccomp_denials.push_back({d.syscall, d.count, pid, d.first_comm});
  }
}

Result<report::Outcome> RunSupervised(const policy::Policy& policy, child::ChildPlan& plan,
                                      RunObserver* observer) {
  return Supervisor(policy, plan, observer).Run();
}

}  // namespace sandbox::launch

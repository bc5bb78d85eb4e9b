#include "launch/enter.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "child/job.h"
#include "common/exit_status.h"
#include "common/syscalls.h"
#include "common/unique_fd.h"
#include "init/init.h"
#include "launch/cgroup.h"
#include "launch/listener_receiver.h"
#include "launch/supervisor.h"
#include "launch/terminal_relay.h"
#include "seccomp/listener.h"

namespace sandbox::launch {
namespace {

// A pty in the run's devpts; call after joining its mount namespace.
Result<void> OpenPty(UniqueFd* master, int* slave) {
  master->Reset(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
  if (!*master) return MakeError("cannot open /dev/ptmx in the run", errno);
  // The run's job may have replaced /dev/ptmx (its /dev is its own tmpfs). This process is
  // fenced by neither Landlock nor seccomp, so it relays nothing but a real pty multiplexer
  // (char 5:2, as /dev/ptmx and devpts' own ptmx both are); opened non-blocking so a FIFO put
  // there cannot hang it (the relay wants it non-blocking anyway).
  struct stat st;
  if (::fstat(master->get(), &st) != 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 ||
      minor(st.st_rdev) != 2) {
    return MakeError("/dev/ptmx in the run is not the pty multiplexer (replaced by the job?)");
  }
  int unlock = 0;
  if (::ioctl(master->get(), TIOCSPTLCK, &unlock) < 0)
    return MakeError("cannot unlock the pty", errno);
  struct winsize size = {};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0) ::ioctl(master->get(), TIOCSWINSZ, &size);
  *slave = ::ioctl(master->get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave < 0) return MakeError("cannot open the pty's other end", errno);
  return {};
}

}  // namespace

Result<report::Outcome> EnterRun(const RunState& state, const EnterRequest& request) {
  // A bwrap-mode run may share some of the caller's namespaces. Joining a namespace it shares
  // would fail (EINVAL for our own user namespace, EPERM for the host's uts and others), and
  // without a pid namespace of its own nothing would end the entered process with the run.
  if ((state.namespaces & CLONE_NEWUSER) == 0 || (state.namespaces & CLONE_NEWPID) == 0) {
    Error e = MakeError("run \"" + state.name + "\" has no " +
                        ((state.namespaces & CLONE_NEWUSER) == 0 ? "user" : "pid") +
                        " namespace of its own, so a process entered there would not end with "
                        "the run");
    e.hint = "in bwrap mode, start the run with --unshare-pid (or --unshare-all)";
    return e;
  }
  // The init's pidfd first, then the identity check: the pidfd then names the checked process.
  UniqueFd init(static_cast<int>(::syscall(SYS_pidfd_open, state.init_pid, 0)));
  if (!init || ProcessStartTime(state.init_pid) != state.init_start) {
    return MakeError("run \"" + state.name + "\" has ended");
  }
  // A run with cgroup limits holds all its processes in its cgroup; the entered one is started
  // there too (clone3 CLONE_INTO_CGROUP), found as the init's cgroup, not taken from the entry.
  UniqueFd run_cgroup;
  std::string run_cgroup_path;
  if (state.cgroup_limits) {
    auto path = CgroupOfProcess(state.init_pid);
    if (!path) return path.error();
    run_cgroup_path = *path;
    run_cgroup.Reset(::open(run_cgroup_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!run_cgroup) return MakeError("cannot open the run's cgroup " + run_cgroup_path, errno);
  }
  auto plan = PlanForEntered(state, request.command);

  sigset_t forwarded;
  init::ForwardedSignalSet(&forwarded);
  if (request.terminal) TerminalRelay::AddSignals(&forwarded);
  sigset_t old_mask;
  ::sigprocmask(SIG_BLOCK, &forwarded, &old_mask);
  struct RestoreMask {
    sigset_t mask;
    ~RestoreMask() { ::sigprocmask(SIG_SETMASK, &mask, nullptr); }
  } restore{old_mask};

  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
    return MakeError("cannot create a socket", errno);
  }
  UniqueFd sync(pair[0]);
  UniqueFd child_end(pair[1]);
  plan->sync_fd = child_end.get();

  // Kept from before the join: after it, /proc is the run's, but the listener names callers by
  // their pid in this process's own pid namespace, which the host's /proc shows.
  UniqueFd host_proc(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));

  // All at once, so the user namespace comes first as the kernel requires; this process is
  // then inside every namespace but the pid one, which only its children join. Exactly the
  // run's own: one it shares with the caller is already ours. The cgroup namespace waits for
  // the child when it is started in the run's cgroup: from inside the run's cgroup namespace,
  // where this process's own cgroup lies outside the root, a cgroup2 mounted with nsdelegate
  // refuses the move (cgroups(7)).
  int flags = static_cast<int>(state.namespaces & kAllNamespaces);
  int child_joins = run_cgroup ? (flags & CLONE_NEWCGROUP) : 0;
  flags &= ~child_joins;
  if (::setns(init.get(), flags) < 0) {
    Error e = MakeError("cannot join the namespaces of run \"" + state.name + "\"", errno);
    if (errno == EPERM) e.hint = "only the user who started a run may enter it";
    return e;
  }
  UniqueFd master;
  int slave = -1;
  if (request.terminal) {
    if (auto r = OpenPty(&master, &slave); !r) return r.error();
  }

  sys::CloneArgs clone_args;
  clone_args.exit_signal = SIGCHLD;
  if (run_cgroup) {
    clone_args.flags |= CLONE_INTO_CGROUP;
    clone_args.cgroup = static_cast<uint64_t>(run_cgroup.get());
  }
  // The child lives among the run's processes (same ids as their job) from its first
  // instruction, and drops its capabilities well before its exec: from then on, a capability
  // check no longer keeps the job from attaching to it (ptrace(2), "Ptrace access mode
  // checking"), and Landlock, off or absent, may not either. Born non-dumpable it stays
  // unattachable throughout: its memory belongs to the host's user namespace until execve,
  // where the job holds no CAP_SYS_PTRACE; execve makes it dumpable again, as the run's own job
  // is. Set here rather than in the child, so no instruction of the child runs dumpable; this
  // process is dumpable again right after.
  int dumpable = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  pid_t child = static_cast<pid_t>(sys::Clone3(&clone_args));
  // A seccomp filter around this process may hide clone3 (as the supervisor allows for).
  if (child < 0 && errno == ENOSYS && !run_cgroup) child = ::fork();
  if (child != 0) {
    int err = errno;
    ::prctl(PR_SET_DUMPABLE, dumpable > 0 ? dumpable : 1, 0, 0, 0);
    errno = err;
  }
  if (child < 0 && run_cgroup) {
    // Moving a process needs write access to the cgroup.procs of the closest cgroup both lie
    // under: a caller in another, non-delegated branch of the tree cannot.
    Error e = MakeError("cannot start a process in the cgroup of run \"" + state.name + "\" (" +
                            run_cgroup_path + ")",
                        errno);
    e.hint =
        "enter from the delegated cgroup the run was started in (e.g. the same "
        "systemd-run --user --scope -p Delegate=yes)";
    return e;
  }
  if (child < 0) return MakeError("cannot fork into the run", errno);
  if (child == 0) {
    // Dies with `sandbox enter`. Outside the pid namespace, enter is parent 0 from here; 1
    // means it has died already, and the run's init has taken over.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    if (::getppid() != 0) ::_exit(kExitSandboxFailure);
    sync.Reset();
    if (child_joins != 0 && ::setns(init.get(), child_joins) < 0) {
      child::FailWith(*plan, RecordKind::kSetupError,
                      child::StepFailed(SetupStep::kJoinCgroupNamespace, errno),
                      kExitSandboxFailure);
    }
    child::RunJob(*plan, slave);
  }
  if (slave >= 0) ::close(slave);
  child_end.Reset();
  UniqueFd child_fd(static_cast<int>(::syscall(SYS_pidfd_open, child, 0)));

  sigset_t only_forwarded = forwarded;
  sigdelset(&only_forwarded, SIGCHLD);
  UniqueFd signals(::signalfd(-1, &only_forwarded, SFD_CLOEXEC | SFD_NONBLOCK));
  std::optional<TerminalRelay> relay;
  if (master) relay.emplace(std::move(master), STDIN_FILENO, STDOUT_FILENO);
  std::optional<seccomp::Listener> denials;
  ListenerReceiver receiver;
  UniqueFd listener;
  std::optional<Record> error;
  bool sync_open = true;
  bool terminal_open = relay.has_value();

  auto read_records = [&] {
    for (;;) {
      Record record;
      int passed = -1;
      long n = ReceiveRecord(sync.get(), &record, &passed);
      UniqueFd attached(passed);
      if (n == static_cast<long>(sizeof(record))) {
        if (receiver.OnRecord(record, attached, sync.get())) {
          if (receiver.has_listener() && !listener) {
            listener = receiver.TakeListener();
            denials.emplace(state.seccomp_settings, host_proc.get());
          }
        } else if ((record.kind == RecordKind::kSetupError ||
                    record.kind == RecordKind::kExecError) &&
                   !error) {
          error = record;
        }
        continue;
      }
      if (n == 0) sync_open = false;
      return;
    }
  };

  for (bool exited = false; !exited;) {
    struct pollfd fds[6] = {
        {child_fd.get(), POLLIN, 0},
        {signals.get(), POLLIN, 0},
        {sync_open ? sync.get() : -1, POLLIN, 0},
        {listener.get(), POLLIN, 0},
        {relay ? relay->input() : -1, POLLIN, 0},
        {terminal_open ? relay->master() : -1, relay ? relay->master_events() : short{0}, 0},
    };
    int wait_ms = listener ? denials->RetryTimeoutMs() : -1;
    if (::poll(fds, 6, wait_ms) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (wait_ms >= 0) denials->RetryParked(listener.get());
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (::read(signals.get(), &info, sizeof(info)) == sizeof(info)) {
        if (request.terminal && TerminalRelay::Handles(static_cast<int>(info.ssi_signo))) {
          if (relay) relay->OnSignal(static_cast<int>(info.ssi_signo));
        } else {
          sys::PidfdSendSignal(child_fd.get(), static_cast<int>(info.ssi_signo));
        }
      }
    }
    if (fds[2].revents & (POLLIN | POLLHUP)) read_records();
    if (fds[3].revents & POLLIN) {
      if (!denials->HandleOne(listener.get())) listener.Reset();
    } else if (fds[3].revents & (POLLHUP | POLLERR)) {
      listener.Reset();
    }
    if (fds[4].revents & (POLLIN | POLLHUP)) relay->OnInput();
    if (fds[5].revents != 0 && !relay->OnMaster(fds[5].revents)) terminal_open = false;
    if (fds[0].revents & POLLIN) exited = true;
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  read_records();
  if (relay) {
    relay->Drain();
    relay.reset();
  }

  report::Outcome outcome;
  if (error) {
    outcome.kind = error->kind == RecordKind::kExecError ? report::Outcome::Kind::kExecFailed
                                                         : report::Outcome::Kind::kSetupFailed;
    outcome.record = error;
  } else if (WIFEXITED(status)) {
    outcome.code = WEXITSTATUS(status);
  } else {
    outcome.kind = report::Outcome::Kind::kSignaled;
    outcome.signal = WTERMSIG(status);
  }
  if (denials) AddDenials(*denials, &outcome);
  return outcome;
}

}  // namespace sandbox::launch

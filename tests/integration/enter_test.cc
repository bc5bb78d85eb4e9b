// Named runs, `sandbox ps`, `enter` and `stop` as uid 65534: an entered process is in the
// run's namespaces with the run's hardening, `stop` ends a run, stale entries never show, and
// another user is refused.
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "pty_fixture.h"

namespace sandbox::testing {
namespace {

class EnterTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    name_ = "it-" + RandomName(8);
  }

  // The run's command line: common flags (the probe at /sbx), a hostname of its own, `flags`.
  std::vector<std::string> RunArgs(const std::vector<std::string>& command,
                                   const std::vector<std::string>& flags = {}) {
    std::vector<std::string> args = {"--name", name_, "--hostname", "entered-" + name_};
    for (const std::string& f : CommonFlags()) args.push_back(f);
    for (const std::string& f : flags) args.push_back(f);
    args.push_back("--");
    for (const std::string& c : command) args.push_back(c);
    return args;
  }

  // `sandbox ps` until it lists the run (the entry appears once pid 1 exists).
  bool WaitListed() {
    for (int i = 0; i < 200; ++i) {
      if (RunSandbox({"ps"}).out.find(name_ + " ") != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::vector<std::string> EnterArgv(const std::vector<std::string>& command) {
    std::vector<std::string> args = {"enter", name_, "--"};
    for (const std::string& c : command) args.push_back(c);
    return SandboxArgv(args);
  }

  RunResult Enter(const std::vector<std::string>& command,
                  const SpawnOptions& options = DefaultOptions()) {
    return RunProcess(EnterArgv(command), options);
  }

  // The number of processes the run's pid namespace holds, as an entered probe sees them
  // (itself included).
  size_t RunProcessCount() { return Lines(Enter({"/sbx/probe", "pids"}).out).size(); }

  // Asks until the run holds `count` processes; false if it never does.
  bool WaitProcessCount(size_t count) {
    for (int i = 0; i < 200; ++i) {
      if (RunProcessCount() == count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string name_;
};

TEST_F(EnterTest, NamedRunIsListedAndEnteredWithItsHardening) {
  Process run(SandboxArgv(RunArgs({"/sbx/probe", "sleep", "30"})), DefaultOptions());
  ASSERT_TRUE(WaitListed()) << RunSandbox({"ps"});
  RunResult ps = RunSandbox({"ps", "--json"});
  EXPECT_NE(ps.out.find("\"name\": \"" + name_ + "\""), std::string::npos) << ps;
  EXPECT_NE(ps.out.find("\"/sbx/probe\""), std::string::npos) << ps;

  RunResult r = Enter({"/sbx/probe", "hostname"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "entered-" + name_ + "\n") << r;
  // Only the run's processes: its init (1), the job (2) and this one.
  r = Enter({"/sbx/probe", "pids"});
  std::vector<std::string> pids = Lines(r.out);
  ASSERT_EQ(pids.size(), 3u) << r;
  EXPECT_EQ(pids[0], "1") << r;
  EXPECT_EQ(pids[1], "2") << r;
  r = Enter({"/sbx/probe", "status"});
  EXPECT_NE(r.out.find("CapEff:\t0000000000000000\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("NoNewPrivs:\t1\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("Seccomp:\t2\n"), std::string::npos) << r;
  // The run's mounts: the probe's directory at /sbx, a tmpfs at /tmp.
  r = Enter({"/sbx/probe", "statfs-type", "/tmp"});
  EXPECT_EQ(r.out.rfind(kTmpfsMagic, 0), 0u) << r;
  // The run's seccomp filter, with denials reported by the entering side.
  r = Enter({"/sbx/probe", "abi-call", "x86_64", "keyctl"});
  EXPECT_EQ(r.out.rfind("error EPERM", 0), 0u) << r;
  EXPECT_EQ(r.err.rfind("sandbox: seccomp denied keyctl x1 (first: probe, pid ", 0), 0u) << r;
  // The exit status passes through.
  r = Enter({"/sbx/probe", "exit", "7"});
  EXPECT_EQ(r.exit_code, 7) << r;
  r = Enter({"/sbx/no-such-command"});
  EXPECT_EQ(r.exit_code, kExitNotFound) << r;
}

// A run is listed, and can be entered, only once its sandbox is built: enter, tried again and
// again from the moment the run starts, never lands in a half-built sandbox (no /sbx yet, the
// host's hostname, the host's tree before pivot_root).
TEST_F(EnterTest, ARunIsEnteredOnlyOnceItsSandboxIsBuilt) {
  // Many mounts make the building take a while, so that early tries meet it unfinished.
  std::vector<std::string> mounts;
  for (int i = 0; i < 400; ++i) {
    mounts.insert(mounts.end(), {"--tmpfs", "/tmp/m" + std::to_string(i)});
  }
  Process run(SandboxArgv(RunArgs({"/sbx/probe", "sleep", "30"}, mounts)), DefaultOptions());
  RunResult r;
  int refused = 0;
  for (int i = 0; i < 2000; ++i) {
    r = Enter({"/sbx/probe", "hostname"});
    if (r.exit_code == 0) break;
    ASSERT_EQ(r.exit_code, kExitSandboxFailure) << r;
    ASSERT_TRUE(r.err.find("no live run named") != std::string::npos ||
                r.err.find("is still starting") != std::string::npos)
        << r;
    ++refused;
  }
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "entered-" + name_ + "\n") << r;
  std::cout << "refused " << refused << " times before the run was built\n";
}

TEST_F(EnterTest, EnteredProcessGetsTheRunsEnvironmentCwdLimitsAndNoStrayDescriptors) {
  Process run(SandboxArgv(RunArgs(
                  {"/sbx/probe", "sleep", "30"},
                  {"--setenv", "RUN_MARK", "from-run", "--chdir", "/tmp", "--limit", "nofile=99"})),
              DefaultOptions());
  ASSERT_TRUE(WaitListed());
  // The caller of `enter` has a variable and a descriptor of its own; neither gets in.
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  SpawnOptions caller = DefaultOptions();
  caller.env.push_back("ENTER_CALLER_ONLY=1");
  caller.inherit_fds = {{7, fd}};
  RunResult env = Enter({"/sbx/probe", "env"}, caller);
  EXPECT_EQ(env.exit_code, 0) << env;
  EXPECT_NE(env.out.find("RUN_MARK=from-run\n"), std::string::npos) << env;
  EXPECT_EQ(env.out.find("ENTER_CALLER_ONLY"), std::string::npos) << env;
  RunResult cwd = Enter({"/sbx/probe", "cwd"}, caller);
  EXPECT_EQ(cwd.out, "/tmp\n") << cwd;
  RunResult nofile = Enter({"/sbx/probe", "rlimit", "nofile"}, caller);
  EXPECT_EQ(nofile.out, "soft=99 hard=99\n") << nofile;
  RunResult fds = Enter({"/sbx/probe", "fds"}, caller);
  ::close(fd);
  EXPECT_EQ(fds.out, "0\n1\n2\n") << "a descriptor of the caller leaked in\n" << fds;
}

TEST_F(EnterTest, EnteredProcessGetsTheRunsLandlockRuleset) {
  constexpr unsigned kLandlockVersion = 1U << 0;
  if (::syscall(SYS_landlock_create_ruleset, nullptr, 0, kLandlockVersion) < 6) {
    GTEST_SKIP() << "this kernel has no Landlock with signal scoping (ABI 6)";
  }
  // The root is a read-only mount; what only the ruleset refuses is a signal to a process
  // outside the Landlock domain (ABI 6 scoping), pid 1 here: even the permission check...
  {
    Process run(SandboxArgv(RunArgs({"/sbx/probe", "sleep", "30"})), DefaultOptions());
    ASSERT_TRUE(WaitListed());
    RunResult r = Enter({"/sbx/probe", "signal", "1", "0"});
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_EQ(r.out.rfind("error EPERM", 0), 0u) << r;
    RunResult tmp = Enter({"/sbx/probe", "write", "/tmp/entered-file"});
    EXPECT_EQ(tmp.exit_code, 0) << tmp;
    RunSandbox({"stop", name_, "--grace", "100ms"});
  }
  // ...which goes through when the run has no ruleset: the refusal above is the run's Landlock.
  name_ += "-off";
  Process run(SandboxArgv(RunArgs({"/sbx/probe", "sleep", "30"}, {"--landlock", "off"})),
              DefaultOptions());
  ASSERT_TRUE(WaitListed());
  RunResult r = Enter({"/sbx/probe", "signal", "1", "0"});
  EXPECT_EQ(r.exit_code, 0) << r;
  RunSandbox({"stop", name_, "--grace", "100ms"});
}

// `enter` builds its own Landlock ruleset inside the run: its rules must name the objects the
// run's rules name. A rule path whose parent the job can write (here a tmpfs under a writable
// bind: the parent renamed away and replaced by a directory whose entry is a symlink to /proc,
// as the job itself could do) must not carry the rule's write right to somewhere else.
TEST_F(EnterTest, EnterRefusesARulePathReplacedSinceTheRunBegan) {
  if (::syscall(SYS_landlock_create_ruleset, nullptr, 0, 1U) < 1) {
    GTEST_SKIP() << "this kernel has no Landlock";
  }
  std::string w = MakeDir("w", true);
  ASSERT_EQ(::mkdir((w + "/sub").c_str(), 0777), 0);
  ASSERT_EQ(::chmod((w + "/sub").c_str(), 0777), 0);
  Process run(SandboxArgv(RunArgs({"/sbx/probe", "sleep", "30"},
                                  {"--bind", w, "/w", "--tmpfs", "/w/sub/t"})),
              DefaultOptions());
  ASSERT_TRUE(WaitListed());
  // Landlock is what refuses this write to the entered process (a writable proc mount).
  RunResult r = Enter({"/sbx/probe", "write", "/proc/self/attr/current", "x"});
  EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
  ASSERT_EQ(::rename((w + "/sub").c_str(), (w + "/old").c_str()), 0);
  ASSERT_EQ(::mkdir((w + "/sub").c_str(), 0777), 0);
  ASSERT_EQ(::symlink("/proc", (w + "/sub/t").c_str()), 0);
  // Before the fix the rule for /w/sub/t landed on /proc: the write got past Landlock (EINVAL
  // from the LSM instead of EACCES).
  r = Enter({"/sbx/probe", "write", "/proc/self/attr/current", "x"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find("/w/sub/t"), std::string::npos) << r;
  EXPECT_NE(r.err.find("is no longer what the run's rule names"), std::string::npos) << r;
  EXPECT_EQ(r.out, "") << r;
  RunSandbox({"stop", name_, "--grace", "100ms"});
}

// The process `sandbox enter` starts holds capabilities in the run's user namespace until it
// drops them, and then runs the sandbox's code until its exec: the run's processes (same ids,
// no capabilities) must not be able to attach to it at any point before the exec, with
// Landlock or without. The run's job watches for entering processes the whole time.
TEST_F(EnterTest, AnEnteringProcessCannotBeAttachedBeforeItsExec) {
  for (bool landlock : {false, true}) {
    SCOPED_TRACE(landlock ? "landlock auto" : "landlock off");
    name_ = "it-" + RandomName(8);
    std::vector<std::string> flags;
    if (!landlock) flags = {"--landlock", "off"};
    SpawnOptions long_run = DefaultOptions();
    long_run.timeout = std::chrono::milliseconds(55000);
    Process run(SandboxArgv(RunArgs({"/sbx/probe", "watch-attach", "/tmp/stop", "probe"}, flags)),
                long_run);
    ASSERT_TRUE(WaitListed());
    // Without the fix, about half the entering processes were attachable with Landlock off
    // (31 of 60); with Landlock the job's domain already keeps it from tracing them. Few
    // enough to stay within ctest's 60 s under ASan on a busy machine.
    for (int i = 0; i < (landlock ? 10 : 24); ++i) {
      RunResult r = Enter({"/sbx/probe", "exit", "0"});
      ASSERT_EQ(r.exit_code, 0) << r;
    }
    ASSERT_EQ(Enter({"/sbx/probe", "write", "/tmp/stop"}).exit_code, 0);
    RunResult watched = run.Finish();
    ASSERT_EQ(watched.exit_code, 0) << watched;
    std::vector<std::string> lines = Lines(watched.out);
    ASSERT_EQ(lines.size(), 2u) << watched;
    // The watcher did meet entering processes before their exec, so the 0 below means something.
    EXPECT_NE(lines[0], "pre-exec-seen 0") << watched;
    EXPECT_EQ(lines[1], "pre-exec-attached 0") << watched;
  }
}

TEST_F(EnterTest, EnteredProcessEndsWithTheRunAndWithEnter) {
  Process run(SandboxArgv(RunArgs({"/sbx/probe", "sleep", "30"})), DefaultOptions());
  ASSERT_TRUE(WaitListed());
  ASSERT_EQ(RunProcessCount(), 3u);  // init, the job, the counting probe
  // `sandbox enter` killed outright: the entered process goes with it (PR_SET_PDEATHSIG).
  {
    Process entered(EnterArgv({"/sbx/probe", "sleep", "30"}), DefaultOptions());
    ASSERT_TRUE(WaitProcessCount(4u));
    ASSERT_EQ(::kill(entered.pid(), SIGKILL), 0);
    entered.Finish();
    EXPECT_TRUE(WaitProcessCount(3u)) << "the entered process outlived sandbox enter";
  }
  // The run stopped: the entered process ends with it, and enter reports how.
  Process entered(EnterArgv({"/sbx/probe", "sleep", "30"}), DefaultOptions());
  ASSERT_TRUE(WaitProcessCount(4u));
  RunResult stop = RunSandbox({"stop", name_});
  EXPECT_EQ(stop.exit_code, 0) << stop;
  RunResult r = entered.Finish();
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_EQ(r.exit_code, 128 + SIGKILL) << r;
  RunResult job = run.Finish();
  EXPECT_EQ(job.exit_code, 128 + SIGTERM) << job;
}

TEST_F(EnterTest, BwrapRunIsEnteredThroughExactlyItsOwnNamespaces) {
  // bwrap mode shares every namespace not asked for; its runs get generated names, found here
  // by a file name no other run has.
  std::string flag = "/tmp/enter-bwrap-" + name_;
  auto start = [&](const std::vector<std::string>& unshare) {
    std::vector<std::string> args = {"bwrap", "--ro-bind", "/", "/", "--dev", "/dev"};
    args.insert(args.end(), unshare.begin(), unshare.end());
    args.insert(args.end(), {BinDir() + "/probe", "wait-file", flag});
    return SandboxArgv(args);
  };
  auto listed_name = [&]() -> std::string {
    for (int i = 0; i < 200; ++i) {
      for (const std::string& line : Lines(RunSandbox({"ps"}).out)) {
        if (line.find(flag) != std::string::npos) return line.substr(0, line.find(' '));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "";
  };
  {
    // Its own pid namespace (and user and mount), the caller's uts namespace: joined as it is.
    Process run(start({"--unshare-pid", "--proc", "/proc"}), DefaultOptions());
    name_ = listed_name();
    ASSERT_FALSE(name_.empty()) << RunSandbox({"ps"});
    char host[256] = {};
    ASSERT_EQ(::gethostname(host, sizeof(host) - 1), 0);
    RunResult r = Enter({BinDir() + "/probe", "hostname"});
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(r.out, std::string(host) + "\n") << r;
    // Only the run's init, its job and the entered probe: the run's pid namespace.
    r = Enter({BinDir() + "/probe", "pids"});
    std::vector<std::string> pids = Lines(r.out);
    ASSERT_EQ(pids.size(), 3u) << r;
    EXPECT_EQ(pids[0], "1") << r;
    EXPECT_EQ(pids[1], "2") << r;
    RunSandbox({"stop", name_, "--grace", "100ms"});
  }
  // No pid namespace of its own: nothing would end an entered process with the run; refused.
  Process run(start({}), DefaultOptions());
  name_ = listed_name();
  ASSERT_FALSE(name_.empty()) << RunSandbox({"ps"});
  RunResult r = Enter({BinDir() + "/probe", "hostname"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_EQ(r.out, "") << r;
  EXPECT_NE(r.err.find("has no pid namespace of its own"), std::string::npos) << r;
  EXPECT_NE(r.err.find("--unshare-pid"), std::string::npos) << r;
  RunSandbox({"stop", name_, "--grace", "100ms"});
}

// The cgroup line ("0::PATH") of /proc/self/cgroup as an entered probe reads it.
// Where the runs of `uid` register without XDG_RUNTIME_DIR: /dev/shm when it is a tmpfs, else
// /tmp.
std::string RunDirectoryOf(uid_t uid) {
  struct statfs fs;
  bool shm = ::statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC;
  return (shm ? "/dev/shm/sandbox-" : "/tmp/sandbox-") + std::to_string(uid);
}

std::string UnifiedCgroupLine(const std::string& proc_self_cgroup) {
  for (const std::string& line : Lines(proc_self_cgroup)) {
    if (line.rfind("0::", 0) == 0) return line;
  }
  return "";
}

// The mount point of the host's cgroup2 filesystem, or "".
std::string Cgroup2MountPoint() {
  for (const std::string& line : Lines(ReadHostFile("/proc/self/mountinfo"))) {
    if (line.find(" - cgroup2 ") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 5; ++i) fields >> field;
    return field;
  }
  return "";
}

// A run with cgroup limits holds its processes in its cgroup, and an entered one starts there.
// This host may have no controllers to delegate, so the test builds that state itself, as
// root, in a bare cgroup2 tree it owns: D/caller (where the run and `enter` start) and D/job
// (the run's cgroup: its init is moved there and its entry says it has limits).
TEST_F(EnterTest, EnteredProcessStartsInTheRunsCgroup) {
  if (!AsRoot()) GTEST_SKIP() << "needs root to build a cgroup tree for the run user";
  std::string mount = Cgroup2MountPoint();
  if (mount.empty()) GTEST_SKIP() << "no cgroup2 mount";
  std::string tree = mount + "/sandbox-enter-test-" + RandomName(8);
  for (const std::string& dir : {tree, tree + "/caller", tree + "/job"}) {
    ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir << ": " << std::strerror(errno);
    ASSERT_EQ(::chown(dir.c_str(), RunUid(), RunGid()), 0);
    ASSERT_EQ(::chown((dir + "/cgroup.procs").c_str(), RunUid(), RunGid()), 0);
  }
  struct RemoveTree {
    std::string tree;
    ~RemoveTree() {
      // The run's processes leave their cgroups as they are reaped, just after the run ends.
      for (const std::string& dir : {tree + "/job", tree + "/caller", tree}) {
        for (int i = 0; i < 500 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) {
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
    }
  } remove_tree{tree};
  // `sh -c` as root moves itself into D/caller, then becomes the sandbox as the run user.
  auto in_caller_cgroup = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/bin/sh", "-c",
                                     "echo $$ > \"$0\"/caller/cgroup.procs && exec \"$@\"", tree};
    for (const std::string& a : SandboxArgv(args)) argv.push_back(a);
    return argv;
  };
  Process run(in_caller_cgroup(RunArgs({"/sbx/probe", "sleep", "30"})), DefaultOptions());
  ASSERT_TRUE(WaitListed());
  std::istringstream ps_line;
  for (const std::string& line : Lines(RunSandbox({"ps"}).out)) {
    if (line.rfind(name_ + " ", 0) == 0) ps_line.str(line);
  }
  std::string name, supervisor, init;
  ps_line >> name >> supervisor >> init;
  ASSERT_FALSE(init.empty());

  // Control: a run without limits leaves the entered process where enter is, D/caller, which
  // is the root of the run's cgroup namespace.
  RunResult r = RunProcess(
      in_caller_cgroup({"enter", name_, "--", "/sbx/probe", "read", "/proc/self/cgroup"}),
      DefaultOptions());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(UnifiedCgroupLine(r.out), "0::/") << r;

  // The run's cgroup: its init in D/job, its entry saying the run has limits.
  {
    std::ofstream procs(tree + "/job/cgroup.procs");
    procs << init;
  }
  ASSERT_NE(ReadHostFile("/proc/" + init + "/cgroup").find(tree.substr(mount.size()) + "/job\n"),
            std::string::npos);
  {
    std::ofstream entry(RunDirectoryOf(RunUid()) + "/" + name_ + ".run", std::ios::app);
    entry << "cgroup_limits 1\n";
  }
  r = RunProcess(
      in_caller_cgroup({"enter", name_, "--", "/sbx/probe", "read", "/proc/self/cgroup"}),
      DefaultOptions());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(UnifiedCgroupLine(r.out), "0::/../job") << "the entered process is in D/job\n" << r;

  // From the root cgroup (not the run user's) the move is not allowed: refused, nothing runs.
  r = Enter({"/sbx/probe", "write", "/tmp/ran", "x"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find("cannot start a process in the cgroup of run"), std::string::npos) << r;
  RunResult ran =
      RunProcess(in_caller_cgroup({"enter", name_, "--", "/sbx/probe", "exists", "/tmp/ran"}),
                 DefaultOptions());
  EXPECT_EQ(ran.out, "no\n") << "the refused command ran\n" << ran;
  RunSandbox({"stop", name_, "--grace", "100ms"});
  run.Finish();
}

// The name is claimed before the sandbox starts: of runs started at once with one name, one
// runs and the others refuse, whatever the timing.
TEST_F(EnterTest, OfRunsStartedAtOnceWithOneNameExactlyOneRuns) {
  constexpr int kRuns = 4;
  std::vector<std::unique_ptr<Process>> runs;
  for (int i = 0; i < kRuns; ++i) {
    runs.push_back(std::make_unique<Process>(SandboxArgv(RunArgs({"/sbx/probe", "sleep", "30"})),
                                             DefaultOptions()));
  }
  ASSERT_TRUE(WaitListed());
  // The one listed holds the name while the others end by themselves, refused (setpriv execs
  // the sandbox in place: the listed supervisor pid is that of the process started here).
  std::istringstream listed;
  for (const std::string& line : Lines(RunSandbox({"ps"}).out)) {
    if (line.rfind(name_ + " ", 0) == 0) listed.str(line);
  }
  std::string name;
  pid_t supervisor = 0;
  listed >> name >> supervisor;
  int holders = 0;
  for (auto& run : runs) {
    if (run->pid() == supervisor) {
      ++holders;
      continue;
    }
    RunResult r = run->Finish();
    EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
    EXPECT_NE(r.err.find("is already live"), std::string::npos) << r;
  }
  ASSERT_EQ(holders, 1) << "supervisor " << supervisor;
  EXPECT_EQ(RunSandbox({"stop", name_}).exit_code, 0);
  for (auto& run : runs) {
    if (run->pid() != supervisor) continue;
    RunResult r = run->Finish();
    EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r;
  }
}

TEST_F(EnterTest, BadArgumentsAreOneLineAndExit125) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"enter"},
                                             {"enter", name_, "extra"},
                                             {"stop"},
                                             {"stop", name_, "--signal"},
                                             {"stop", name_, "--signal", "NOPE"},
                                             {"stop", name_, "--grace", "soon"},
                                             {"ps", "--every"}}) {
    RunResult r = RunSandbox(args);
    EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
    ASSERT_EQ(Lines(r.err).size(), 1u) << r;
    EXPECT_EQ(r.err.rfind("sandbox: ", 0), 0u) << r;
  }
}

TEST_F(EnterTest, AFileWrittenByTheEnteredProcessIsSeenByTheJob) {
  // The job waits for /tmp/flag, then prints it.
  Process run(SandboxArgv(RunArgs({"/sbx/probe", "wait-file", "/tmp/flag"})), DefaultOptions());
  ASSERT_TRUE(WaitListed());
  RunResult r = Enter({"/sbx/probe", "write", "/tmp/flag", "from-enter"});
  // The job may see the file and end the run before the writer has exited; then the writer,
  // being in the run's pid namespace, is killed with the rest of the run. Either way it wrote.
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 128 + SIGKILL) << r;
  RunResult job = run.Finish();
  EXPECT_EQ(job.exit_code, 0) << job;
  EXPECT_EQ(job.out, "from-enter") << job;
  EXPECT_EQ(RunSandbox({"ps"}).out.find(name_ + " "), std::string::npos);
}

TEST_F(EnterTest, StopEndsTheRunAndPsNoLongerListsIt) {
  Process run(SandboxArgv(RunArgs({"/sbx/probe", "sleep", "30"})), DefaultOptions());
  ASSERT_TRUE(WaitListed());
  RunResult stop = RunSandbox({"stop", name_});
  EXPECT_EQ(stop.exit_code, 0) << stop;
  RunResult job = run.Finish();
  EXPECT_EQ(job.exit_code, 128 + SIGTERM) << job;
  EXPECT_FALSE(job.timed_out) << job;
  EXPECT_EQ(RunSandbox({"ps"}).out.find(name_ + " "), std::string::npos);
  RunResult again = RunSandbox({"stop", name_});
  EXPECT_EQ(again.exit_code, kExitSandboxFailure) << again;
}

TEST_F(EnterTest, StopKillsAJobThatIgnoresSigterm) {
  Process run(SandboxArgv(RunArgs({"/sbx/probe", "ignore-term"})), DefaultOptions());
  ASSERT_TRUE(WaitListed());
  RunResult stop = RunSandbox({"stop", name_, "--grace", "200ms"});
  EXPECT_EQ(stop.exit_code, 0) << stop;
  RunResult job = run.Finish();
  EXPECT_FALSE(job.timed_out) << job;
  EXPECT_EQ(RunSandbox({"ps"}).out.find(name_ + " "), std::string::npos);
}

TEST_F(EnterTest, AnotherUserIsRefused) {
  if (!AsRoot()) GTEST_SKIP() << "needs root to act as a second user";
  Process run(SandboxArgv(RunArgs({"/sbx/probe", "sleep", "30"})), DefaultOptions());
  ASSERT_TRUE(WaitListed());
  std::vector<std::string> as_other = {"/usr/bin/setpriv",
                                       "--reuid=65533",
                                       "--regid=65533",
                                       "--clear-groups",
                                       "--",
                                       BinDir() + "/sandbox",
                                       "enter",
                                       name_,
                                       "--",
                                       "/sbx/probe",
                                       "hostname"};
  RunResult r = RunProcess(as_other, DefaultOptions());
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_EQ(r.out, "") << r;
  EXPECT_NE(r.err.find("no live run named \"" + name_ + "\""), std::string::npos) << r;
  // Led to the owner's directory through a symlink, the other user is refused before reading.
  std::string runtime = MakeDir("runtime");
  ASSERT_EQ(::symlink(RunDirectoryOf(RunUid()).c_str(), (runtime + "/sandbox").c_str()), 0);
  SpawnOptions pointed = DefaultOptions();
  pointed.env.push_back("XDG_RUNTIME_DIR=" + runtime);
  RunResult r2 = RunProcess(as_other, pointed);
  EXPECT_EQ(r2.exit_code, kExitSandboxFailure) << r2;
  EXPECT_EQ(r2.out, "") << r2;
  EXPECT_NE(r2.err.find("refusing the run directory"), std::string::npos) << r2;
}

TEST_F(EnterTest, ASupervisorKilledWithSigkillLeavesNoListedEntry) {
  Process run(SandboxArgv(RunArgs({"/sbx/probe", "sleep", "30"})), DefaultOptions());
  ASSERT_TRUE(WaitListed());
  // The supervisor is the process the runner started (setpriv execs it in place).
  ASSERT_EQ(::kill(run.pid(), SIGKILL), 0);
  run.Finish();
  RunResult ps = RunSandbox({"ps"});
  EXPECT_EQ(ps.out.find(name_ + " "), std::string::npos) << ps;
  RunResult r = Enter({"/sbx/probe", "hostname"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
}

TEST_F(EnterTest, NamesAreCheckedAndUnique) {
  RunResult r = RunSandbox({"--name", "../x", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find("run name \"../x\" is not valid"), std::string::npos) << r;
  Process run(SandboxArgv(RunArgs({"/sbx/probe", "sleep", "30"})), DefaultOptions());
  ASSERT_TRUE(WaitListed());
  RunResult twice = RunSandbox(RunArgs({"/sbx/probe", "hostname"}));
  EXPECT_EQ(twice.exit_code, kExitSandboxFailure) << twice;
  EXPECT_NE(twice.err.find("is already live"), std::string::npos) << twice;
  RunSandbox({"stop", name_, "--grace", "100ms"});
}

// In a user namespace of its own (unshare -r: uid 0 there is the run user here, and /dev/shm is
// the host's), a run registers in a directory named after that namespace and the run user.
// Before, it took /dev/shm/sandbox-0, the host root's: created it, owned by the run user, so
// that root's runs refused it from then on. The directory goes with the namespace's last run:
// left behind, one per namespace piled up, and the kernel gives a dead namespace's inode number
// to the next one, whose runs met the last owner's directory and went unlisted.
TEST_F(EnterTest, ARunInAnotherUserNamespaceRegistersInADirectoryThatGoesWithIt) {
  if (RunDirectoryOf(RunUid()).rfind("/dev/shm/", 0) != 0) {
    GTEST_SKIP() << "runs do not register in /dev/shm here";
  }
  struct stat st;
  bool root_dir_existed = ::lstat("/dev/shm/sandbox-0", &st) == 0;
  // $0 the sandbox, $1 the run user's uid here. Prints the directory, its mode and owner while
  // the run is live, the run's exit, whether the directory is left, then what ps leaves.
  std::string script =
      "d=/dev/shm/sandbox-0-userns-$(stat -L -c %i /proc/self/ns/user)-outside-$1; shift; "
      "echo \"$d\"; \"$0\" \"$@\" & "
      "for i in $(seq 1000); do [ -d \"$d\" ] && break; sleep 0.01; done; "
      "stat -c '%a %u' \"$d\"; wait $!; echo \"exit $?\"; "
      "[ -e \"$d\" ] && echo left || echo gone; "
      "\"$0\" ps >/dev/null; [ -e \"$d\" ] && echo 'ps left it' || echo 'ps made none'";
  std::vector<std::string> run = {
      "/usr/bin/unshare",      "-Ur", "sh", "-c", script, BinDir() + "/sandbox",
      std::to_string(RunUid())};
  for (const std::string& a : RunArgs({"/sbx/probe", "sleep", "1"})) run.push_back(a);
  RunResult r = RunProcess(AsRunUser(run), DefaultOptions());
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.err.find("not listed"), std::string::npos) << r;
  std::vector<std::string> out = Lines(r.out);
  ASSERT_EQ(out.size(), 5u) << r;
  EXPECT_EQ(out[1], "700 0") << "mode and owner (the run user, uid 0 in its namespace)\n" << r;
  EXPECT_EQ(out[2], "exit 0") << r;
  EXPECT_EQ(out[3], "gone") << r;
  EXPECT_EQ(out[4], "ps made none") << r;
  if (!root_dir_existed) {
    EXPECT_NE(::lstat("/dev/shm/sandbox-0", &st), 0) << "the nested run created root's directory";
  }
  ::rmdir(out[0].c_str());
}

// `sandbox enter` on a terminal: the entered shell gets a pty of the run's own devpts, sized
// like the caller's, relayed with the caller's terminal in raw mode, whose modes come back.

class EnterTerminalTest : public PtyTest {
 protected:
  // Starts `sandbox --name NAME --profile base FLAGS -- COMMAND` and waits until ps lists it.
  std::unique_ptr<Process> StartListed(const std::string& name,
                                       const std::vector<std::string>& flags,
                                       const std::vector<std::string>& command) {
    std::vector<std::string> args = {"--name", name, "--profile", profile_};
    args.insert(args.end(), flags.begin(), flags.end());
    args.push_back("--");
    args.insert(args.end(), command.begin(), command.end());
    auto run = std::make_unique<Process>(SandboxArgv(args), DefaultOptions());
    for (int i = 0; i < 200; ++i) {
      if (RunSandbox({"ps"}).out.find(name + " ") != std::string::npos) return run;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "run " << name << " never listed:\n" << run->Finish();
    return nullptr;
  }
};

TEST_F(EnterTerminalTest, EnteredShellHasATerminalOfTheRunsOwn) {
  std::string name = "it-" + RandomName(8);
  auto run = StartListed(name, {"--hostname", "tty-" + name}, {"sleep", "30"});
  ASSERT_TRUE(run);
  struct termios before = CallerModes();
  Process shell(SandboxArgv({"enter", name}), OnTerminal());
  // Quoted apart so the terminal's echo of the typed line never matches.
  Type("tty; stty size; hostname; echo hel\"\"lo-$((6*7))\n");
  ASSERT_TRUE(shell.WaitForStdout("hello-42")) << shell.Finish();
  Type("exit 5\n");
  RunResult r = shell.Finish();
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_NE(r.out.find("/dev/pts/0"), std::string::npos) << "the run's own devpts\n" << r;
  EXPECT_NE(r.out.find("33 77"), std::string::npos) << "the caller's window size\n" << r;
  EXPECT_NE(r.out.find("tty-" + name), std::string::npos) << r;
  struct termios after = CallerModes();
  EXPECT_EQ(after.c_lflag, before.c_lflag) << "the caller's terminal was left in raw mode";
  EXPECT_EQ(after.c_iflag, before.c_iflag);
  EXPECT_EQ(after.c_oflag, before.c_oflag);
  RunSandbox({"stop", name, "--grace", "100ms"});
}

// `sandbox enter` itself is fenced by neither Landlock nor seccomp: it relays only a real pty
// multiplexer, not whatever a job put at /dev/ptmx. A run's /dev is a read-only mount (even
// with --landlock off), so only a bwrap-mode run, whose /dev stays writable as bubblewrap's,
// can put something else there.
TEST_F(EnterTerminalTest, AReplacedPtmxIsRefused) {
  std::string name = "it-" + RandomName(8);
  auto run = StartListed(name, {"--landlock", "off"},
                         {"sh", "-c", "rm /dev/ptmx || exec sleep 30; exit 3"});
  ASSERT_TRUE(run);
  RunResult fixed = RunSandbox({"enter", name, "--", "test", "-c", "/dev/pts/ptmx"});
  EXPECT_EQ(fixed.exit_code, 0) << fixed;
  EXPECT_EQ(RunSandbox({"enter", name, "--", "test", "-L", "/dev/ptmx"}).exit_code, 0)
      << "the run's job could not replace /dev/ptmx";
  RunSandbox({"stop", name, "--grace", "100ms"});

  std::string flag = "/tmp/enter-ptmx-" + name;
  Process bwrap(SandboxArgv({"bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid",
                             "--proc", "/proc", "sh", "-c",
                             "rm /dev/ptmx && mkfifo /dev/ptmx && exec " + BinDir() +
                                 "/probe wait-file " + flag}),
                DefaultOptions());
  std::string listed;
  for (int i = 0; i < 200 && listed.empty(); ++i) {
    for (const std::string& line : Lines(RunSandbox({"ps"}).out)) {
      if (line.find(flag) != std::string::npos) listed = line.substr(0, line.find(' '));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(listed.empty()) << RunSandbox({"ps"});
  ASSERT_TRUE(Eventually([&] {
    return RunSandbox({"enter", listed, "--", "test", "-p", "/dev/ptmx"}).exit_code == 0;
  }));
  RunResult r = RunProcess(SandboxArgv({"enter", listed}), OnTerminal());
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find("/dev/ptmx in the run is not the pty multiplexer"), std::string::npos) << r;
  RunSandbox({"stop", listed, "--grace", "100ms"});
}

}  // namespace
}  // namespace sandbox::testing

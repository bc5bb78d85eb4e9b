// Named runs, `sandbox ps`, `enter` and `stop` as uid 65534: an entered process is in the
// run's namespaces with the run's hardening, `stop` ends a run, stale entries never show, and
// another user is refused.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "fixture.h"

namespace sandbox::testing {
namespace {

class EnterTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    name_ = "it-" + RandomName(8);
  }

  // The run's command line: common flags (the probe at /sbx), a hostname of its own.
  std::vector<std::string> RunArgs(const std::vector<std::string>& command) {
    std::vector<std::string> args = {"--name", name_, "--hostname", "entered-" + name_};
    for (const std::string& f : CommonFlags()) args.push_back(f);
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

  RunResult Enter(const std::vector<std::string>& command) {
    std::vector<std::string> args = {"enter", name_, "--"};
    for (const std::string& c : command) args.push_back(c);
    return RunSandbox(args);
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
  r = Enter({"/sbx/probe", "abi-call", "i386", "keyctl"});
  EXPECT_EQ(r.out.rfind("error EPERM", 0), 0u) << r;
  EXPECT_EQ(r.err.rfind("sandbox: seccomp denied keyctl x1 (first: probe, pid ", 0), 0u) << r;
  // The exit status passes through.
  r = Enter({"/sbx/probe", "exit", "7"});
  EXPECT_EQ(r.exit_code, 7) << r;
  r = Enter({"/sbx/no-such-command"});
  EXPECT_EQ(r.exit_code, kExitNotFound) << r;
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
  ASSERT_EQ(::symlink("/tmp/sandbox-65534", (runtime + "/sandbox").c_str()), 0);
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

}  // namespace
}  // namespace sandbox::testing

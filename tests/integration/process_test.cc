// The job as a process: inherited descriptors, environment, exit status, signals from the
// caller, and --timeout.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"

namespace sandbox::testing {
namespace {

using std::chrono::milliseconds;

class DescriptorTest : public SandboxTest {
 protected:
  // Default options plus a read-only host file on descriptor 7 in the caller.
  SpawnOptions WithFd7() {
    std::string path = MakeFile("fd7", "fd seven\n");
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd_, 0) << path << ": " << strerror(errno);
    SpawnOptions options = DefaultOptions();
    options.inherit_fds = {{7, fd_}};
    return options;
  }
  void TearDown() override {
    if (fd_ >= 0) close(fd_);
    SandboxTest::TearDown();
  }

  int fd_ = -1;
};

TEST_F(DescriptorTest, DescriptorsLeftOpenByTheCallerAreClosed) {
  SpawnOptions options = WithFd7();
  // Control: the probe, run directly, does see descriptor 7.
  RunResult host = RunProcess(HostProbeArgv({"fds"}), options);
  ASSERT_EQ(host.exit_code, 0) << host;
  ASSERT_EQ(host.out, "0\n1\n2\n7\n") << host;

  RunResult r = RunProbe({}, {"fds"}, options);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "0\n1\n2\n") << r;
}

TEST_F(DescriptorTest, PassFdKeepsTheDescriptor) {
  RunResult r = RunProbe({"--pass-fd", "7"}, {"fds"}, WithFd7());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "0\n1\n2\n7\n") << r;
}

class EnvironmentTest : public SandboxTest {
 protected:
  static SpawnOptions WithSecret() {
    SpawnOptions options = DefaultOptions();
    options.env.push_back("SECRET_TOKEN=hunter2");
    return options;
  }
};

TEST_F(EnvironmentTest, DefaultEnvironmentIsCleanWithTermAndLangPassed) {
  RunResult r = RunProbe({}, {"env"}, WithSecret());
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> lines = Lines(r.out);
  std::sort(lines.begin(), lines.end());
  ASSERT_EQ(lines.size(), 4u) << r;
  EXPECT_EQ(lines[0], "HOME=/tmp") << r;
  EXPECT_EQ(lines[1], "LANG=C.UTF-8") << r;
  EXPECT_EQ(lines[2].rfind("PATH=/", 0), 0u) << r;
  EXPECT_EQ(lines[3], "TERM=xterm-sbxtest") << r;
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos) << r;
}

TEST_F(EnvironmentTest, KeepEnvPassesTheCallersEnvironment) {
  RunResult r = RunProbe({"--keep-env"}, {"env"}, WithSecret());
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> lines = Lines(r.out);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "SECRET_TOKEN=hunter2"), 1) << r;
}

TEST_F(EnvironmentTest, InitMemoryHoldsNoCallerEnvironment) {
  // pid 1 is a copy of the supervisor, whose environment held the secret. Reading it may be
  // refused (EACCES/EPERM); either way the secret must not come out.
  RunResult r = RunProbe({}, {"environ-of", "1"}, WithSecret());
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_TRUE(r.exit_code == 0 || r.out.rfind("error E", 0) == 0) << r;
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos) << r;
  EXPECT_EQ(r.out.find("SECRET_TOKEN"), std::string::npos) << r;
}

TEST_F(EnvironmentTest, InitMemoryHoldsNoCallerEnvironmentSeenFromTheHost) {
  // The host may read what the job may not: pid 1's environ, through the host's /proc.
  Process process(ProbeArgv({}, {"wait-term", "0"}), WithSecret());
  ASSERT_TRUE(process.WaitForStdout("ready\n")) << process.Finish();
  std::vector<pid_t> children = ChildrenOf(process.pid());
  EXPECT_FALSE(children.empty()) << "the supervisor has no child process";
  for (pid_t child : children) {
    std::string path = "/proc/" + std::to_string(child) + "/environ";
    std::ifstream in(path, std::ios::binary);
    if (!in && !AsRoot()) continue;  // not ours to read without privilege
    EXPECT_TRUE(in) << "cannot read " << path;
    std::string environ((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(environ.find("hunter2"), std::string::npos) << path << " still holds the secret";
  }
  kill(process.pid(), SIGTERM);
  RunResult r = process.Finish();
  EXPECT_EQ(r.exit_code, 0) << r;
}

TEST_F(EnvironmentTest, SetenvAddsAVariable) {
  RunResult r = RunProbe({"--setenv", "A", "B"}, {"env"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> lines = Lines(r.out);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "A=B"), 1) << r;
}

TEST_F(EnvironmentTest, UnsetenvRemovesAVariable) {
  RunResult r = RunProbe({"--unsetenv", "TERM"}, {"env"});
  ASSERT_EQ(r.exit_code, 0) << r;
  for (const std::string& line : Lines(r.out)) EXPECT_NE(line.rfind("TERM=", 0), 0u) << r;
  EXPECT_NE(r.out.find("LANG=C.UTF-8"), std::string::npos) << "only TERM should go\n" << r;
}

TEST_F(EnvironmentTest, ClearenvEmptiesTheEnvironment) {
  RunResult r = RunProbe({"--clearenv"}, {"env"}, WithSecret());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "") << r;
  RunResult set = RunProbe({"--clearenv", "--setenv", "A", "B"}, {"env"}, WithSecret());
  EXPECT_EQ(set.exit_code, 0) << set;
  EXPECT_EQ(set.out, "A=B\n") << set;
}

class ExitStatusTest : public SandboxTest {
 protected:
  // Runs COMMON-FLAGS -- COMMAND (not the probe).
  static RunResult RunCommand(const std::string& command) {
    std::vector<std::string> args = CommonFlags();
    args.insert(args.end(), {"--", command});
    return RunSandbox(args);
  }

  // One "sandbox: ..." line on stderr that mentions `what`.
  static void ExpectOneSandboxLine(const RunResult& r, const std::string& what) {
    std::vector<std::string> lines = Lines(r.err);
    ASSERT_EQ(lines.size(), 1u) << r;
    EXPECT_EQ(lines[0].rfind("sandbox: ", 0), 0u) << r;
    EXPECT_NE(lines[0].find(what), std::string::npos) << "should name " << what << "\n" << r;
  }
};

TEST_F(ExitStatusTest, JobExitCodePassesThrough) {
  RunResult zero = RunProbe({}, {"exit", "0"});
  EXPECT_EQ(zero.exit_code, 0) << zero;
  EXPECT_EQ(zero.err, "") << zero;
  RunResult r = RunProbe({}, {"exit", "42"});
  EXPECT_EQ(r.exit_code, 42) << r;
  EXPECT_EQ(r.err, "") << r;
}

TEST_F(ExitStatusTest, JobKilledBySignalGives128PlusSignal) {
  RunResult kill = RunProbe({}, {"kill-self", "9"});
  EXPECT_EQ(kill.exit_code, 128 + SIGKILL) << kill;
  RunResult term = RunProbe({}, {"kill-self", "15"});
  EXPECT_EQ(term.exit_code, 128 + SIGTERM) << term;
}

TEST_F(ExitStatusTest, MissingCommandGives127) {
  RunResult r = RunCommand("/sbx/nope");
  EXPECT_EQ(r.exit_code, kExitNotFound) << r;
  ExpectOneSandboxLine(r, "/sbx/nope");
}

// execve's ENOENT for a file that is there: its interpreter is missing. The line says so,
// by path and through the PATH search alike, instead of leaving "No such file" alone.
TEST_F(ExitStatusTest, MissingInterpreterIsNamedAsSuch) {
  MakeDir("bin");
  std::string script = MakeFile("bin/script", "#!/nonexistent/sh\n");
  ASSERT_EQ(::chmod(script.c_str(), 0755), 0);
  std::vector<std::string> args = CommonFlags();
  args.insert(args.end(), {"--ro-bind", scratch() + "/bin", "/s", "--setenv", "PATH", "/nope:/s",
                           "--", "/s/script"});
  RunResult r = RunSandbox(args);
  EXPECT_EQ(r.exit_code, kExitNotFound) << r;
  ExpectOneSandboxLine(r, "/s/script");
  EXPECT_NE(r.err.find("its interpreter"), std::string::npos) << r;
  args.back() = "script";
  r = RunSandbox(args);
  EXPECT_EQ(r.exit_code, kExitNotFound) << r;
  ExpectOneSandboxLine(r, "script");
  EXPECT_NE(r.err.find("its interpreter"), std::string::npos) << r;
  args.back() = "/s/absent";  // a file that is not there keeps the plain line
  r = RunSandbox(args);
  EXPECT_EQ(r.exit_code, kExitNotFound) << r;
  EXPECT_EQ(r.err.find("interpreter"), std::string::npos) << r;
}

TEST_F(ExitStatusTest, NonExecutableCommandGives126) {
  RunResult r = RunCommand("/sbx/not-executable");
  EXPECT_EQ(r.exit_code, kExitCannotExecute) << r;
  ExpectOneSandboxLine(r, "/sbx/not-executable");
}

TEST_F(ExitStatusTest, MissingBindSourceGives125) {
  std::string missing = scratch() + "/does-not-exist";
  RunResult r = RunProbe({"--ro-bind", missing, "/m"}, {"exit", "0"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_EQ(r.out, "") << r;
  ExpectOneSandboxLine(r, missing);
}

TEST_F(ExitStatusTest, MissingBindSourceWithTryIsSkipped) {
  RunResult r = RunProbe({"--ro-bind-try", scratch() + "/does-not-exist", "/m"}, {"exists", "/m"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out, "no\n") << r;
}

TEST_F(ExitStatusTest, RelativeDestinationGives125) {
  RunResult r = RunProbe({"--ro-bind", scratch(), "relative/dst"}, {"exit", "0"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_EQ(r.out, "") << r;
  ExpectOneSandboxLine(r, "relative/dst");
}

class SignalTest : public SandboxTest {};

// Polls for up to `limit` until none of `pids` exists; returns those still there.
std::vector<pid_t> WaitForExit(std::vector<pid_t> pids, milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::erase_if(pids, [](pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; });
    if (pids.empty() || std::chrono::steady_clock::now() >= deadline) return pids;
    std::this_thread::sleep_for(milliseconds(20));
  }
}

TEST_F(SignalTest, SigkillOfTheSupervisorTakesTheSandboxDown) {
  SpawnOptions options = DefaultOptions();
  options.timeout = std::chrono::seconds(10);
  Process process(ProbeArgv({}, {"wait-term", "0"}), options);
  ASSERT_TRUE(process.WaitForStdout("ready\n")) << process.Finish();
  // The supervisor's children (pid 1 inside) and theirs (the job).
  std::vector<pid_t> sandbox_pids = ChildrenOf(process.pid());
  ASSERT_FALSE(sandbox_pids.empty()) << "the supervisor has no child process";
  for (pid_t init : std::vector<pid_t>(sandbox_pids)) {
    std::vector<pid_t> jobs = ChildrenOf(init);
    sandbox_pids.insert(sandbox_pids.end(), jobs.begin(), jobs.end());
  }
  ASSERT_GE(sandbox_pids.size(), 2u) << "expected pid 1 and the job";

  ASSERT_EQ(kill(process.pid(), SIGKILL), 0) << strerror(errno);
  RunResult r = process.Finish();
  EXPECT_EQ(r.term_signal, SIGKILL) << r;
  EXPECT_FALSE(r.timed_out) << "the job kept the output pipe open\n" << r;
  for (pid_t pid : WaitForExit(sandbox_pids, std::chrono::seconds(2))) {
    ADD_FAILURE() << "host pid " << pid << " outlived its killed supervisor";
    kill(pid, SIGKILL);
  }
}

TEST_F(SignalTest, SigtermToTheSandboxReachesTheJob) {
  Process process(ProbeArgv({}, {"wait-term", "42"}), DefaultOptions());
  ASSERT_TRUE(process.WaitForStdout("ready\n")) << process.Finish();
  // setpriv execs the sandbox, so the spawned pid is the supervisor.
  ASSERT_EQ(kill(process.pid(), SIGTERM), 0) << strerror(errno);
  RunResult r = process.Finish();
  EXPECT_EQ(r.exit_code, 42) << r;
  EXPECT_EQ(r.out, "ready\ngot SIGTERM\n") << r;
}

TEST_F(SignalTest, TimeoutStopsAJobThatIgnoresSigterm) {
  RunResult r = RunProbe({"--timeout", "1s", "--timeout-grace", "1s"}, {"ignore-term"});
  EXPECT_EQ(r.exit_code, kExitTimeout) << r;
  EXPECT_EQ(r.out, "ready\n") << r;
  std::vector<std::string> lines = Lines(r.err);
  ASSERT_EQ(lines.size(), 1u) << r;
  EXPECT_EQ(lines[0].rfind("sandbox: ", 0), 0u) << r;
  EXPECT_TRUE(std::regex_search(lines[0], std::regex("time[ds]? ?out", std::regex::icase))) << r;
  // SIGTERM at 1 s is ignored; SIGKILL follows after the 1 s grace.
  EXPECT_GE(r.elapsed, milliseconds(1900)) << r;
  EXPECT_LT(r.elapsed, milliseconds(10000)) << r;
}

TEST_F(SignalTest, TimeoutNotReachedKeepsTheJobsStatus) {
  RunResult r = RunProbe({"--timeout", "10s"}, {"exit", "3"});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_EQ(r.err, "") << r;
  EXPECT_LT(r.elapsed, milliseconds(5000)) << r;
}

}  // namespace
}  // namespace sandbox::testing

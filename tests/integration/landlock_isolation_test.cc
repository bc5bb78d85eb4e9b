// --isolation landlock: a run without namespaces, where user namespaces are refused. Each run
// here starts the sandbox under `probe no-userns`, a seccomp filter refusing CLONE_NEWUSER as a
// container runtime's profile does, so the namespace mode cannot start and this one must hold
// on Landlock, seccomp, rlimits and the supervisor's subreaper alone.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"

namespace sandbox::testing {
namespace {

class LandlockIsolationTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    out_dir_ = MakeDir("out", /*job_writable=*/true);
  }

  // The binaries at their own path (no mount namespace moves them), proc, dev and /tmp.
  static std::vector<std::string> Flags(const std::vector<std::string>& more) {
    std::vector<std::string> flags = {"--ro-bind", BinDir(), BinDir(),  "--proc", "/proc",
                                      "--dev",     "/dev",   "--tmpfs", "/tmp"};
    flags.insert(flags.end(), more.begin(), more.end());
    return flags;
  }

  // probe no-userns sandbox FLAGS -- probe ARGS, as the run user.
  static RunResult Run(const std::vector<std::string>& flags,
                       const std::vector<std::string>& probe_args) {
    std::vector<std::string> argv = {BinDir() + "/probe", "no-userns", BinDir() + "/sandbox"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"--", BinDir() + "/probe"});
    argv.insert(argv.end(), probe_args.begin(), probe_args.end());
    return RunProcess(AsRunUser(argv), DefaultOptions());
  }

  static RunResult RunLandlock(const std::vector<std::string>& more,
                               const std::vector<std::string>& probe_args) {
    std::vector<std::string> flags = {"--isolation", "landlock"};
    std::vector<std::string> rest = Flags(more);
    flags.insert(flags.end(), rest.begin(), rest.end());
    return Run(flags, probe_args);
  }

  std::string ReportPath() const { return out_dir_ + "/report.json"; }

  static RunResult CheckReport(const std::string& report, const std::vector<std::string>& expect) {
    std::vector<std::string> argv = {"/usr/bin/env", "python3", SANDBOX_CHECK_REPORT,
                                     SANDBOX_REPORT_SCHEMA, report};
    for (const std::string& e : expect) argv.insert(argv.end(), {"--expect", e});
    return RunProcess(argv, DefaultOptions());
  }

  static std::vector<pid_t> WaitForNoComm(const std::string& comm) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    std::vector<pid_t> pids = HostPidsWithComm(comm);
    while (!pids.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      pids = HostPidsWithComm(comm);
    }
    for (pid_t pid : pids) kill(pid, SIGKILL);
    return pids;
  }

  std::string out_dir_;
};

constexpr char kNote[] =
    "sandbox: isolation landlock: no mount, pid, ipc, uts or network namespace: host pids "
    "visible, same hostname";

// The control: here the namespace mode cannot start, and says what would run instead.
TEST_F(LandlockIsolationTest, WithoutTheFlagTheRunRefusesWithTheFix) {
  RunResult r = Run(Flags({}), {"exit", "0"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find("user namespaces are refused here"), std::string::npos) << r;
  EXPECT_NE(r.err.find("--isolation landlock runs without namespaces instead"), std::string::npos)
      << r;
  EXPECT_EQ(r.err.find(kNote), std::string::npos) << r;
}

// auto is the permission: taken only where user namespaces are refused, and said.
TEST_F(LandlockIsolationTest, AutoPicksLandlockOnlyWhereUserNamespacesAreRefused) {
  std::vector<std::string> flags = {"--isolation", "auto", "--report", ReportPath()};
  std::vector<std::string> rest = Flags({});
  flags.insert(flags.end(), rest.begin(), rest.end());
  RunResult r = Run(flags, {"exit", "0"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find(kNote), std::string::npos) << r;
  RunResult check = CheckReport(ReportPath(), {R"(isolation="landlock")"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());

  // Where user namespaces work, auto keeps them.
  r = RunProbe({"--isolation", "auto", "--report", ReportPath()}, {"hostname"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "sandbox\n") << r;
  EXPECT_EQ(r.err, "") << r;
  check = CheckReport(ReportPath(), {R"(isolation="namespaces")"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

TEST_F(LandlockIsolationTest, RunsAndSaysWhatItLacksInTheNoteAndTheReport) {
  RunResult r = RunLandlock({"--report", ReportPath()}, {"exit", "3"});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_NE(r.err.find(kNote), std::string::npos) << r;
  RunResult check =
      CheckReport(ReportPath(), {R"(isolation="landlock")", "namespaces=[]", "exit_code=3"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

TEST_F(LandlockIsolationTest, OnlyTheProfilesPathsCanBeReadOrWritten) {
  // Both are the run user's to read and write without Landlock.
  std::string outside = MakeDir("outside", /*job_writable=*/true);
  std::string secret = MakeFile("outside/secret", "host data\n");
  std::string work = MakeDir("work", /*job_writable=*/true);

  RunResult r = RunLandlock({"--bind", work, work}, {"read", secret});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
  r = RunLandlock({"--bind", work, work}, {"write", outside + "/planted", "x"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
  struct stat st;
  EXPECT_NE(stat((outside + "/planted").c_str(), &st), 0);

  r = RunLandlock({"--bind", work, work}, {"write", work + "/built", "x"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(ReadHostFile(work + "/built"), "x");
}

TEST_F(LandlockIsolationTest, TmpdirIsPrivateWritableAndRemovedAfterTheRun) {
  RunResult r = RunLandlock({}, {"env"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string tmpdir;
  for (const std::string& line : Lines(r.out)) {
    if (line.rfind("TMPDIR=", 0) == 0) tmpdir = line.substr(7);
  }
  ASSERT_FALSE(tmpdir.empty()) << r;
  EXPECT_NE(tmpdir, "/tmp") << r;
  struct stat st;
  EXPECT_NE(stat(tmpdir.c_str(), &st), 0) << tmpdir << " outlived the run";
}

// A profile's caches beneath /tmp (the shipped profiles': ci, cc, python, ...) have no mount to
// be shown at: they live in the private TMPDIR for the run, where the profile's /tmp paths lead.
TEST_F(LandlockIsolationTest, CachesBeneathTmpLiveInThePrivateTmpdirForTheRun) {
  std::string profile = MakeFile(
      "cached.toml",
      "[env]\nset = { XDG_CACHE_HOME = \"/tmp/.cache\", TOOL_CACHE = \"/tmp/.cache/tool\" }\n"
      "[[cache]]\nname = \"tool\"\ntarget = \"/tmp/.cache/tool\"\nhost = \"/nonexistent/tool\"\n");
  RunResult r = RunLandlock({"--profile", profile}, {"env"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("caches kept for this run only, in the job's private TMPDIR "
                       "(--isolation landlock has no mount to show the sandbox's own): tool"),
            std::string::npos)
      << r;
  std::string tmpdir;
  std::string cache;
  std::string cache_home;
  for (const std::string& line : Lines(r.out)) {
    if (line.rfind("TMPDIR=", 0) == 0) tmpdir = line.substr(7);
    if (line.rfind("TOOL_CACHE=", 0) == 0) cache = line.substr(11);
    if (line.rfind("XDG_CACHE_HOME=", 0) == 0) cache_home = line.substr(15);
  }
  ASSERT_FALSE(tmpdir.empty()) << r;
  EXPECT_NE(tmpdir, "/tmp") << r;
  EXPECT_EQ(cache, tmpdir + "/.cache/tool") << r;
  EXPECT_EQ(cache_home, tmpdir + "/.cache") << r;

  // The host's /tmp stays closed: only the private directory is the job's.
  r = RunLandlock({"--profile", profile}, {"write", "/tmp/planted-by-the-job", "x"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
}

TEST_F(LandlockIsolationTest, TheNetworkIsRefused) {
  // A listener of the host's, on its loopback: reachable from the host, not from the job.
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 8), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  std::string port = std::to_string(ntohs(addr.sin_port));

  RunResult r = RunLandlock({}, {"tcp-connect", port});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out.rfind("error EAFNOSUPPORT", 0), 0u) << r;
  r = RunLandlock({}, {"socket", "2"});
  EXPECT_EQ(r.out.rfind("error EAFNOSUPPORT", 0), 0u) << r;
  r = RunLandlock({}, {"socket", "16"});  // netlink: refused too
  EXPECT_EQ(r.out.rfind("error EAFNOSUPPORT", 0), 0u) << r;
  r = RunLandlock({}, {"socket", "1"});  // unix sockets stay
  EXPECT_EQ(r.exit_code, 0) << r;

  // The control: with --share-net the same connection is made.
  r = RunLandlock({"--share-net"}, {"tcp-connect", port});
  EXPECT_EQ(r.exit_code, 0) << r;
  close(listener);
}

// A host service's socket outside the paths the job may write (Landlock before ABI 9 does not
// fence connect(2)): refused by the socket fence; one in the workspace is the job's to use.
TEST_F(LandlockIsolationTest, UnixSocketsOutsideTheWritablePathsAreRefused) {
  std::string outside = MakeDir("outside", /*job_writable=*/true);
  std::string work = MakeDir("work", /*job_writable=*/true);
  auto serve = [](const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << path;
    EXPECT_EQ(chmod(path.c_str(), 0666), 0);
    EXPECT_EQ(listen(fd, 16), 0);
    return fd;
  };
  int host_service = serve(outside + "/agent.sock");
  int own = serve(work + "/own.sock");

  RunResult r =
      RunLandlock({"--bind", work, work}, {"unix-connect", outside + "/agent.sock", "stream"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
  r = RunLandlock({"--bind", work, work}, {"unix-connect", work + "/own.sock", "stream"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "connected\n") << r;
  close(host_service);
  close(own);
}

TEST_F(LandlockIsolationTest, AForkBombIsBoundedAndKilledAtTheEnd) {
  RunResult r = RunLandlock({"--limit", "pids=20", "--report", ReportPath()}, {"fork-bomb", "200"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.find("created=200"), std::string::npos) << r;
  EXPECT_NE(r.out.find("first_error=EAGAIN"), std::string::npos) << r;
  // Every process it made was still sleeping when it exited: all of them were killed.
  size_t at = r.out.find("created=");
  ASSERT_NE(at, std::string::npos) << r;
  std::string created = r.out.substr(at + 8, r.out.find(' ', at) - at - 8);
  RunResult check = CheckReport(ReportPath(), {"leftover_processes_killed=" + created});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

TEST_F(LandlockIsolationTest, ADaemonIsGoneAfterTheRun) {
  std::string name = "sbxl" + RandomName(6);
  RunResult r = RunLandlock({}, {"daemon", name});
  ASSERT_EQ(r.exit_code, 0) << r;
  ASSERT_EQ(Lines(r.out).size(), 1u) << r;
  pid_t daemon = static_cast<pid_t>(std::stol(r.out));
  for (pid_t pid : WaitForNoComm(name)) {
    ADD_FAILURE() << "host pid " << pid << " (" << name << ") outlived the run";
  }
  EXPECT_NE(kill(daemon, 0), 0) << "daemon pid " << daemon;
}

TEST_F(LandlockIsolationTest, TimeoutKillsTheWholeTree) {
  std::string name = "sbxt" + RandomName(6);
  RunResult r = RunLandlock({"--timeout", "1s", "--timeout-grace", "1s"}, {"daemon", name, "60"});
  EXPECT_EQ(r.exit_code, kExitTimeout) << r;
  EXPECT_LT(r.elapsed, std::chrono::seconds(20)) << r;
  for (pid_t pid : WaitForNoComm(name)) {
    ADD_FAILURE() << "host pid " << pid << " (" << name << ") outlived the timeout";
  }
}

TEST_F(LandlockIsolationTest, MountsOnlyANamespaceCouldMakeAreRefusedByName) {
  std::string work = MakeDir("work", /*job_writable=*/true);
  RunResult r = RunLandlock({"--bind", work, "/work"}, {"exit", "0"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find("--isolation landlock cannot show " + work + " at /work"), std::string::npos)
      << r;
}

}  // namespace
}  // namespace sandbox::testing

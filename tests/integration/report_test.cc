// --report and --report-fd: a real run's report is valid against docs/report.schema.json (checked
// by tests/integration/check_report.py with python3's json module) and says how the run ended;
// the job's own stdout and stderr are untouched.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "fixture.h"

namespace sandbox::testing {
namespace {

class ReportTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    out_dir_ = MakeDir("out", /*job_writable=*/true);  // the sandbox runs as the run user
  }

  std::string ReportPath() const { return out_dir_ + "/report.json"; }

  /// Runs the checker on `report`: schema validity plus each PATH=JSON expectation.
  static RunResult Check(const std::string& report, const std::vector<std::string>& expect) {
    std::vector<std::string> argv = {"/usr/bin/env", "python3", SANDBOX_CHECK_REPORT,
                                     SANDBOX_REPORT_SCHEMA, report};
    for (const std::string& e : expect) argv.insert(argv.end(), {"--expect", e});
    return RunProcess(argv, DefaultOptions());
  }

  std::string out_dir_;
};

TEST_F(ReportTest, ExitedRunIsValidAndTheJobsOutputIsUntouched) {
  RunResult r = RunProbe({"--report", ReportPath()}, {"hostname"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "sandbox\n") << r;
  EXPECT_EQ(r.err, "") << r;
  RunResult check =
      Check(ReportPath(), {R"(outcome="exited")", "exit_code=0", "job_exit_code=0",
                           R"(command=["/sbx/probe","hostname"])", "error=null", "signal=null",
                           R"(namespaces=["user","mount","pid","ipc","uts","cgroup","net"])",
                           R"(limits.rlimits.core=0)", R"(setup.steps.0.step="write id maps")",
                           R"(profile={"name":null,"path":null,"hash":null,"names":[],"files":[]})",
                           R"(seccomp={"policy":"default","action":"errno","denials":[]})"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

// The filter's denials, by name with a count and the first process, in the report as on stderr.
TEST_F(ReportTest, SeccompDenialsAreListed) {
  RunResult r = RunProbe({"--report", ReportPath()}, {"abi-call", "x86_64", "keyctl"});
  ASSERT_EQ(r.exit_code, 1) << r;
  RunResult check = Check(
      ReportPath(), {R"(seccomp.policy="default")", R"(seccomp.action="errno")",
                     R"(seccomp.denials.0.syscall="keyctl")", "seccomp.denials.0.count=1",
                     "seccomp.denials.0.first_pid=2", R"(seccomp.denials.0.first_comm="probe")"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());

  r = RunProbe({"--report", ReportPath(), "--seccomp-policy", "none"}, {"hostname"});
  ASSERT_EQ(r.exit_code, 0) << r;
  check = Check(ReportPath(), {R"(seccomp={"policy":"none","action":null,"denials":[]})"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

// A profile's name as given, the file found, and the hash of its extends chain: base first,
// each file as its length, a newline and its bytes (docs/report.md).
TEST_F(ReportTest, ProfileNamePathAndHash) {
  const std::string base = "[sandbox]\nhostname = \"reported\"\n";
  const std::string child = "extends = \"base-r.toml\"\n";
  MakeFile("base-r.toml", base);
  std::string child_path = MakeFile("child-r.toml", child);
  RunResult r = RunProbe({"--profile", child_path, "--report", ReportPath()}, {"hostname"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "reported\n") << r;
  RunResult hash = RunProcess({"/usr/bin/env", "python3", "-c",
                               "import hashlib, sys\n"
                               "h = hashlib.sha256()\n"
                               "for f in sys.argv[1:]:\n"
                               "    data = open(f, 'rb').read()\n"
                               "    h.update(b'%d\\n' % len(data) + data)\n"
                               "print('sha256:' + h.hexdigest())\n",
                               scratch() + "/base-r.toml", child_path},
                              DefaultOptions());
  ASSERT_EQ(hash.exit_code, 0) << hash;
  std::string expected_hash = hash.out.substr(0, hash.out.size() - 1);
  RunResult check = Check(
      ReportPath(), {"profile.name=\"" + child_path + "\"", "profile.path=\"" + child_path + "\"",
                     "profile.hash=\"" + expected_hash + "\""});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

TEST_F(ReportTest, ExitCodeLimitsAndSharedNetwork) {
  RunResult r =
      RunProbe({"--share-net", "--limit", "nofile=64", "--report", ReportPath()}, {"exit", "3"});
  ASSERT_EQ(r.exit_code, 3) << r;
  RunResult check =
      Check(ReportPath(), {R"(outcome="exited")", "exit_code=3", "job_exit_code=3",
                           R"(namespaces=["user","mount","pid","ipc","uts","cgroup"])",
                           "limits.rlimits.nofile=64"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

// What a CI user asks after a failure: the timeout in force, every mount (an optional one
// whose source is missing too), the environment's names, and how many processes were still
// running when the job ended (and were killed with the sandbox).
TEST_F(ReportTest, TimeoutMountsEnvironmentAndLeftovers) {
  SpawnOptions options = DefaultOptions();
  options.env.push_back("SECRET_TOKEN=never-in-the-report");
  RunResult r = RunProbe({"--timeout", "90s", "--ro-bind-try", scratch() + "/absent", "/absent",
                          "--setenv", "MODE", "fast", "--report", ReportPath()},
                         {"daemon", "leftover"}, options);
  ASSERT_EQ(r.exit_code, 0) << r;
  RunResult check = Check(
      ReportPath(),
      {"limits.timeout_seconds=90.0", "limits.timeout_grace_seconds=5.0",
       "leftover_processes_killed=1",
       R"(mounts.0={"type":"ro-bind","source":")" + BinDir() +
           R"(","target":"/sbx","read_only":true,"optional":false,"present":true,"origin":"--ro-bind )" +
           BinDir() + R"( /sbx"})",
       R"(mounts.3.type="tmpfs")", "mounts.3.read_only=false",
       R"(mounts.4={"type":"ro-bind","source":")" + scratch() +
           R"(/absent","target":"/absent","read_only":true,"optional":true,"present":false,"origin":"--ro-bind-try )" +
           scratch() + R"(/absent /absent"})",
       R"(env.names=["PATH","HOME","TERM","LANG","MODE"])", R"(env.passed=["LANG","TERM"])",
       R"(env.denied=[])", R"(env.dropped=["PATH","SECRET_TOKEN"])"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
  EXPECT_EQ(ReadHostFile(ReportPath()).find("never-in-the-report"), std::string::npos);

  // Without a timeout: null; a job that leaves nothing behind: 0.
  r = RunProbe({"--report", ReportPath()}, {"exit", "0"});
  ASSERT_EQ(r.exit_code, 0) << r;
  check = Check(ReportPath(), {"limits.timeout_seconds=null", "leftover_processes_killed=0"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

TEST_F(ReportTest, ReportFdGetsTheDocument) {
  std::string path = ReportPath();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0) << path << ": " << strerror(errno);
  SpawnOptions options = DefaultOptions();
  options.inherit_fds = {{3, fd}};
  RunResult r = RunProbe({"--report-fd", "3"}, {"fds"}, options);
  close(fd);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "0\n1\n2\n") << "the report descriptor leaked into the job\n" << r;
  RunResult check = Check(path, {R"(outcome="exited")", R"(command=["/sbx/probe","fds"])"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(path);
}

TEST_F(ReportTest, SignaledJob) {
  RunResult r = RunProbe({"--report", ReportPath()}, {"kill-self", "9"});
  ASSERT_EQ(r.exit_code, 128 + 9) << r;
  RunResult check = Check(ReportPath(), {R"(outcome="signaled")", "exit_code=137",
                                         R"(signal={"number":9,"name":"SIGKILL"})", "limit=null"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

TEST_F(ReportTest, SetupFailureNamesStepErrnoPathAndFlag) {
  RunResult r = RunProbe({"--dir", "/sbx/new", "--report", ReportPath()}, {"exit", "0"});
  ASSERT_EQ(r.exit_code, kExitSandboxFailure) << r;
  RunResult check =
      Check(ReportPath(),
            {R"(outcome="setup-failed")", "exit_code=125", "job_exit_code=null",
             R"(error.step="create directory")", R"(error.errno_name="EROFS")", "error.errno=30",
             R"(error.path="/sbx/new")", R"(error.flag="--dir /sbx/new")"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

TEST_F(ReportTest, FailureBeforeTheSandboxStarts) {
  RunResult r = RunProbe({"--ro-bind", scratch() + "/missing", "/m", "--report", ReportPath()},
                         {"exit", "0"});
  ASSERT_EQ(r.exit_code, kExitSandboxFailure) << r;
  RunResult check =
      Check(ReportPath(), {R"(outcome="setup-failed")", R"(error.step="build policy")",
                           R"(error.errno_name="ENOENT")", "setup.steps=[]",
                           "error.path=\"" + scratch() + "/missing\""});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

TEST_F(ReportTest, CommandNotFound) {
  std::vector<std::string> args = CommonFlags();
  args.insert(args.end(), {"--report", ReportPath(), "--", "/sbx/no-such-command"});
  RunResult r = RunSandbox(args);
  ASSERT_EQ(r.exit_code, kExitNotFound) << r;
  RunResult check =
      Check(ReportPath(), {R"(outcome="exec-failed")", "exit_code=127", R"(error.step="execute")",
                           R"(error.errno_name="ENOENT")"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

TEST_F(ReportTest, Timeout) {
  RunResult r =
      RunProbe({"--timeout", "300ms", "--timeout-grace", "300ms", "--report", ReportPath()},
               {"ignore-term"});
  ASSERT_EQ(r.exit_code, kExitTimeout) << r;
  EXPECT_EQ(r.out, "ready\n") << r;
  RunResult check = Check(ReportPath(), {R"(outcome="timeout")", "exit_code=124"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(ReportPath());
}

TEST_F(ReportTest, UnwritableReportStopsTheRunBeforeTheJob) {
  RunResult r = RunProbe({"--report", scratch() + "/no/such/dir/report.json"}, {"hostname"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_EQ(r.out, "") << r;
  EXPECT_NE(r.err.find("sandbox: cannot create the report"), std::string::npos) << r;
}

// The checker itself must be able to fail, or the tests above prove nothing.
TEST_F(ReportTest, CheckerRejectsADocumentThatBreaksTheSchema) {
  RunResult r = RunProbe({"--report", ReportPath()}, {"exit", "0"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string report = ReadHostFile(ReportPath());
  size_t at = report.find("\"outcome\": \"exited\"");
  ASSERT_NE(at, std::string::npos) << report;
  std::string broken = report;
  broken.replace(at, std::strlen("\"outcome\": \"exited\""), "\"outcome\": 0");
  std::string broken_path = MakeFile("broken.json", broken);
  RunResult check = Check(broken_path, {});
  EXPECT_EQ(check.exit_code, 1) << check;
  EXPECT_NE(check.out.find("report.outcome"), std::string::npos) << check;
  check = Check(ReportPath(), {"exit_code=1"});
  EXPECT_EQ(check.exit_code, 1) << check;
}

}  // namespace
}  // namespace sandbox::testing

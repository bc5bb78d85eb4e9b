// `sandbox doctor` as the run user: passes on a host where sandboxes run, and explains (with the
// fix) the host limits a run then hits: exhausted user namespaces and a masked /proc. The runs
// that fail that way end their error line with "(see: sandbox doctor)".
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"

namespace sandbox::testing {
namespace {

constexpr char kHint[] = "(see: sandbox doctor)\n";

class DoctorTest : public SandboxTest {
 protected:
  /// [setpriv ... --], the prefix that makes a command run as the run user.
  static std::vector<std::string> RunAs() { return AsRunUser({}); }

  static bool EndsWith(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() &&
           text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
  }

  static void ExpectEveryLineIsACheck(const RunResult& r) {
    std::vector<std::string> lines = Lines(r.out);
    ASSERT_GE(lines.size(), 8u) << r;
    for (size_t i = 0; i + 1 < lines.size(); ++i) {
      EXPECT_TRUE(lines[i].rfind("ok       ", 0) == 0 || lines[i].rfind("missing  ", 0) == 0)
          << lines[i];
      if (lines[i].rfind("missing", 0) == 0) {
        EXPECT_NE(lines[i].find("; fix: "), std::string::npos) << lines[i];
      }
    }
  }

  // A /proc with something mounted over part of it (as container runtimes do) makes the kernel
  // refuse a fresh proc in a user namespace. Building that host needs root: `command` runs as
  // the run user in a mount namespace whose /proc/sys is a tmpfs.
  static std::vector<std::string> UnderMaskedProc(const std::vector<std::string>& command) {
    std::vector<std::string> argv = {
        "/usr/bin/unshare",
        "-m",
        "/bin/sh",
        "-c",
        "mount --make-rprivate / && mount -t tmpfs none /proc/sys || exit 99; exec \"$@\"",
        "sh"};
    std::vector<std::string> as_user = AsRunUser({});
    argv.insert(argv.end(), as_user.begin(), as_user.end());
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  }

  /// /sbx/probe exit 0 with a fresh proc, in the sandbox's usual argv.
  static std::vector<std::string> TrivialRun() {
    std::vector<std::string> argv = ProbeArgv({}, {"exit", "0"});
    return std::vector<std::string>(argv.begin() + static_cast<long>(RunAs().size()), argv.end());
  }
};

TEST_F(DoctorTest, PassesWhereSandboxesRun) {
  RunResult r = RunSandbox({"doctor"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.err, "") << r;
  ExpectEveryLineIsACheck(r);
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_FALSE(lines.empty()) << r;
  EXPECT_EQ(lines[0].rfind("ok       user namespaces: ", 0), 0u) << r;
  EXPECT_EQ(lines[1].rfind("ok       AppArmor userns restriction: ", 0), 0u) << r;
  EXPECT_EQ(lines[2].rfind("ok       mount proc: ", 0), 0u) << r;
  EXPECT_EQ(lines.back(), "sandbox doctor: a default run works here") << r;
  for (const char* check :
       {"seccomp", "landlock", "cgroup v2 delegation", "overlayfs", "subordinate ids"}) {
    EXPECT_NE(r.out.find(std::string(check) + ": "), std::string::npos) << check << "\n" << r;
  }
}

TEST_F(DoctorTest, UsageAndHelp) {
  RunResult help = RunSandbox({"doctor", "--help"});
  EXPECT_EQ(help.exit_code, 0) << help;
  EXPECT_EQ(help.out.rfind("Usage: sandbox doctor", 0), 0u) << help;
  RunResult bad = RunSandbox({"doctor", "--frobnicate"});
  EXPECT_EQ(bad.exit_code, 2) << bad;
  EXPECT_EQ(bad.out, "") << bad;
}

// --json: the same checks as one document a master can read, and the same exit status.
TEST_F(DoctorTest, JsonIsTheSameChecksAsOneDocument) {
  RunResult text = RunSandbox({"doctor"});
  RunResult json = RunSandbox({"doctor", "--json"});
  ASSERT_EQ(json.exit_code, text.exit_code) << json;
  EXPECT_EQ(json.err, "") << json;
  // Parsed for real; one entry per line of the text form, in order, with the same verdicts.
  const char* kSummary =
      "import json,sys\n"
      "d=json.loads(sys.argv[1])\n"
      "assert set(d)=={'host','sandbox_version','ok','checks'}, d.keys()\n"
      "for c in d['checks']:\n"
      "  assert c['fix'] is None or not c['ok'], c\n"
      "  print(('ok       ' if c['ok'] else 'missing  ')+c['name']+': '+c['detail'])\n"
      "print('ok' if d['ok'] else 'not ok')\n";
  RunResult summary = RunProcess({"/usr/bin/python3", "-c", kSummary, json.out}, DefaultOptions());
  ASSERT_EQ(summary.exit_code, 0) << summary << json;
  std::vector<std::string> text_lines = Lines(text.out);
  std::vector<std::string> json_lines = Lines(summary.out);
  ASSERT_EQ(json_lines.size(), text_lines.size()) << summary << text;
  for (size_t i = 0; i + 1 < text_lines.size(); ++i) {
    EXPECT_EQ(text_lines[i].rfind(json_lines[i], 0), 0u) << text_lines[i] << "\n" << json_lines[i];
  }
  EXPECT_EQ(json_lines.back(), text.exit_code == 0 ? "ok" : "not ok") << summary;
}

// In a user namespace of our own whose user.max_user_namespaces is 0, no further one can be
// created: the same as a host that disabled them.
TEST_F(DoctorTest, ExplainsExhaustedUserNamespaces) {
  const std::string script = "echo 0 > /proc/sys/user/max_user_namespaces || exit 99; \"$@\"";
  auto wrapped = [&](const std::vector<std::string>& command) {
    std::vector<std::string> argv = RunAs();
    argv.insert(argv.end(), {"/usr/bin/unshare", "-Ur", "/bin/sh", "-c", script, "sh"});
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
  };
  RunResult doctor = RunProcess(wrapped({BinDir() + "/sandbox", "doctor"}), DefaultOptions());
  if (doctor.exit_code == 99) GTEST_SKIP() << "cannot lower user.max_user_namespaces: " << doctor;
  EXPECT_EQ(doctor.exit_code, 1) << doctor;
  ExpectEveryLineIsACheck(doctor);
  EXPECT_NE(doctor.out.find("missing  user namespaces: unshare: No space left on device "
                            "(user.max_user_namespaces = 0); fix: sudo sysctl -w "
                            "user.max_user_namespaces="),
            std::string::npos)
      << doctor;
  EXPECT_NE(doctor.out.find("missing  mount proc: "), std::string::npos) << doctor;

  RunResult run = RunProcess(wrapped(TrivialRun()), DefaultOptions());
  EXPECT_EQ(run.exit_code, kExitSandboxFailure) << run;
  EXPECT_TRUE(EndsWith(run.err, kHint)) << run;
}

TEST_F(DoctorTest, ExplainsAMaskedProc) {
  if (!AsRoot()) GTEST_SKIP() << "masking /proc in a mount namespace needs root";
  RunResult doctor =
      RunProcess(UnderMaskedProc({BinDir() + "/sandbox", "doctor"}), DefaultOptions());
  if (doctor.exit_code == 99) GTEST_SKIP() << "cannot mask /proc/sys: " << doctor;
  EXPECT_EQ(doctor.exit_code, 1) << doctor;
  EXPECT_NE(doctor.out.find("ok       user namespaces: "), std::string::npos) << doctor;
  EXPECT_NE(doctor.out.find("missing  mount proc: fsmount(proc): Operation not permitted; fix: "
                            "this /proc has masked or read-only parts"),
            std::string::npos)
      << doctor;
  EXPECT_NE(doctor.out.find("--host-proc"), std::string::npos) << doctor;
  RunResult json =
      RunProcess(UnderMaskedProc({BinDir() + "/sandbox", "doctor", "--json"}), DefaultOptions());
  EXPECT_EQ(json.exit_code, 1) << json;
  EXPECT_NE(json.out.find("\"ok\": false,\n  \"checks\""), std::string::npos) << json;

  RunResult run = RunProcess(UnderMaskedProc(TrivialRun()), DefaultOptions());
  EXPECT_EQ(run.exit_code, kExitSandboxFailure) << run;
  EXPECT_EQ(run.err,
            "sandbox: mount proc /proc: Operation not permitted [--proc /proc]; this /proc has "
            "masked or read-only parts (a container's), so the kernel refuses a fresh one: "
            "--host-proc binds this one read-only instead (docs/ci.md), or give the container "
            "an unmasked /proc (docker run --security-opt systempaths=unconfined) (see: sandbox "
            "doctor)\n")
      << run;
}

// --host-proc runs there: the job's /proc is the caller's, read-only, with its masks; it lists
// processes outside the sandbox but their environment stays closed to the job.
TEST_F(DoctorTest, HostProcRunsUnderAMaskedProc) {
  if (!AsRoot()) GTEST_SKIP() << "masking /proc in a mount namespace needs root";
  SpawnOptions outside_options = DefaultOptions();
  outside_options.env.push_back("SANDBOX_IT_SECRET=hunter2");
  outside_options.timeout = std::chrono::milliseconds(30000);
  Process outside(AsRunUser({BinDir() + "/probe", "sleep", "20"}), outside_options);
  const std::string pid = std::to_string(outside.pid());
  // The run user itself can read it, once setpriv has exec'd the probe (between its change of
  // ids and the exec the process is not dumpable): what the job is refused below is the
  // sandbox's doing.
  RunResult host_read;
  for (int i = 0; i < 100; ++i) {
    host_read = RunProcess(AsRunUser({BinDir() + "/probe", "environ-of", pid}), DefaultOptions());
    if (host_read.out.find("SANDBOX_IT_SECRET=hunter2") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(host_read.out.find("SANDBOX_IT_SECRET=hunter2"), std::string::npos) << host_read;

  auto run = [&](const std::vector<std::string>& probe_args) {
    std::vector<std::string> argv = ProbeArgv({"--host-proc"}, probe_args);
    argv.erase(argv.begin(), argv.begin() + static_cast<long>(AsRunUser({}).size()));
    return RunProcess(UnderMaskedProc(argv), DefaultOptions());
  };
  RunResult cmdline = run({"read", "/proc/" + pid + "/cmdline"});
  if (cmdline.exit_code == 99) GTEST_SKIP() << "cannot mask /proc/sys: " << cmdline;
  EXPECT_EQ(cmdline.exit_code, 0) << cmdline;  // the caller's processes are listed
  EXPECT_NE(cmdline.out.find("sleep"), std::string::npos) << cmdline;
  // What cannot be bounded without a writable /proc/sys is said, not skipped silently.
  EXPECT_EQ(cmdline.err,
            "sandbox: note: --host-proc: this /proc/sys is masked or read-only, so the job's "
            "share of per-user kernel objects (inotify, fanotify, namespaces) is not bounded "
            "(docs/ci.md)\n")
      << cmdline;
  RunResult environ = run({"environ-of", pid});
  EXPECT_NE(environ.exit_code, 0) << environ;
  EXPECT_EQ(environ.out.find("hunter2"), std::string::npos) << environ;
  EXPECT_EQ(environ.out.rfind("error EACCES", 0), 0u) << environ;
  // The mask stays (a tmpfs over /proc/sys), and nothing of it is writable.
  RunResult sys = run({"statfs-type", "/proc/sys"});
  EXPECT_EQ(sys.out, std::string(kTmpfsMagic) + " rdonly\n") << sys;
  RunResult write = run({"write", "/proc/self/comm", "x"});
  EXPECT_NE(write.exit_code, 0) << write;
  EXPECT_NE(write.out.find("EROFS"), std::string::npos) << write;
  // The job's own entry is there too: tools reading /proc/self keep working.
  RunResult self = run({"read", "/proc/self/comm"});
  EXPECT_EQ(self.out, "probe\n") << self;
  ::kill(outside.pid(), SIGKILL);
  outside.Finish();
}

}  // namespace
}  // namespace sandbox::testing

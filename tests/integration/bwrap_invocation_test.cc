// bwrap mode however the binary is invoked: a symlink named bwrap, a hard link, a copy, or
// `sandbox bwrap`; and when the command re-executes it through /proc/self/exe (bubblewrap's own
// suite does, to nest a sandbox), whatever that resolves to. A client that resolves a symlink
// before exec reaches `sandbox` under its own name, and is told where bwrap mode is.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fixture.h"

namespace sandbox::testing {
namespace {

namespace fs = std::filesystem;

class BwrapInvocationTest : public SandboxTest {
 protected:
  // The ways of reaching bwrap mode, each as the argv prefix that runs it.
  std::vector<std::pair<std::string, std::vector<std::string>>> Ways() {
    std::string dir = MakeDir("ways");
    std::string sandbox = BinDir() + "/sandbox";
    std::vector<std::pair<std::string, std::vector<std::string>>> ways;
    auto with = [&](const std::string& path) {
      std::vector<std::string> argv = SandboxArgv({});
      argv.back() = path;  // the prefix ends with the sandbox binary
      return argv;
    };
    EXPECT_EQ(::symlink(sandbox.c_str(), (dir + "/bwrap").c_str()), 0);
    ways.push_back({"symlink", with(dir + "/bwrap")});
    // A hard link needs the same filesystem: BinDir's own directory.
    std::string hard = BinDir() + "/hard-" + RandomName(6);
    ::mkdir(hard.c_str(), 0755);
    EXPECT_EQ(::link(sandbox.c_str(), (hard + "/bwrap").c_str()), 0);
    hard_dir_ = hard;
    ways.push_back({"hard link", with(hard + "/bwrap")});
    ::mkdir((dir + "/copy").c_str(), 0755);
    std::error_code ec;
    fs::copy_file(sandbox, dir + "/copy/bwrap", ec);
    EXPECT_FALSE(ec) << ec.message();
    ::chmod((dir + "/copy/bwrap").c_str(), 0755);
    ways.push_back({"copy", with(dir + "/copy/bwrap")});
    std::vector<std::string> sub = SandboxArgv({"bwrap"});
    ways.push_back({"sandbox bwrap", sub});
    return ways;
  }

  void TearDown() override {
    if (!hard_dir_.empty()) {
      std::error_code ec;
      fs::remove_all(hard_dir_, ec);
    }
    SandboxTest::TearDown();
  }

  static RunResult Run(std::vector<std::string> argv, const std::vector<std::string>& args) {
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv, DefaultOptions());
  }

  std::string hard_dir_;
};

TEST_F(BwrapInvocationTest, EveryWayOfInvokingIsBwrapMode) {
  for (const auto& [name, argv] : Ways()) {
    RunResult r =
        Run(argv, {"--ro-bind", "/", "/", "--setenv", "A", "1", BinDir() + "/probe", "env"});
    EXPECT_EQ(r.exit_code, 0) << name << "\n" << r;
    EXPECT_NE(r.out.find("A=1\n"), std::string::npos) << name << "\n" << r;
  }
}

// The command is the sandbox's binary again, through /proc/self/exe: its file may be called
// `sandbox`, yet it is bubblewrap's re-execution of itself and stays in bwrap mode.
TEST_F(BwrapInvocationTest, ReexecutingThroughProcSelfExeStaysBwrapMode) {
  for (const auto& [name, argv] : Ways()) {
    RunResult r = Run(argv, {"--ro-bind", "/", "/", "/proc/self/exe", "--version"});
    EXPECT_EQ(r.exit_code, 0) << name << "\n" << r;
    EXPECT_EQ(r.out.rfind("bubblewrap ", 0), 0u) << name << "\n" << r;
    // The same through --argv0, which changes only argv[0].
    r = Run(argv, {"--ro-bind", "/", "/", "--argv0", "x", "/proc/self/exe", "--version"});
    EXPECT_EQ(r.out.rfind("bubblewrap ", 0), 0u) << name << "\n" << r;
  }
}

// bubblewrap's "can mount /proc recursively": a sandbox inside the sandbox.
TEST_F(BwrapInvocationTest, ANestedSandboxThroughProcSelfExe) {
  for (const auto& [name, argv] : Ways()) {
    RunResult r = Run(argv, {"--unshare-user",
                             "--uid",
                             "0",
                             "--gid",
                             "0",
                             "--cap-add",
                             "ALL",
                             "--bind",
                             "/",
                             "/",
                             "--bind",
                             "/proc",
                             "/proc",
                             "--",
                             "/proc/self/exe",
                             "--unshare-all",
                             "--bind",
                             "/",
                             "/",
                             "--bind",
                             "/proc",
                             "/proc",
                             BinDir() + "/probe",
                             "hostname"});
    EXPECT_EQ(r.exit_code, 0) << name << "\n" << r;
    EXPECT_FALSE(r.out.empty()) << name << "\n" << r;
  }
}

// Under its own name the binary is the sandbox; only a path through /proc re-executes bwrap
// mode, so a command that runs `sandbox` by name gets the sandbox, as outside.
TEST_F(BwrapInvocationTest, TheSandboxByItsOwnNameIsNotBwrapMode) {
  RunResult r = RunSandbox({"bwrap", "--ro-bind", "/", "/", BinDir() + "/sandbox", "--version"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.find("bubblewrap"), std::string::npos) << r;
}

// What a client that resolves the symlink before exec (sandbox-runtime) meets: the sandbox's
// own command line, which names bwrap mode instead of only failing.
TEST_F(BwrapInvocationTest, BubblewrapsOptionsUnderTheOwnNameSayWhereBwrapModeIs) {
  RunResult r =
      RunSandbox({"--die-with-parent", "--unshare-pid", "--ro-bind", "/", "/", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find("these are bubblewrap's options: run `sandbox bwrap ...`"),
            std::string::npos)
      << r;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r;
}

}  // namespace
}  // namespace sandbox::testing

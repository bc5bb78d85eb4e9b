// `sandbox shell` and --tty under a real pseudo-terminal: the shell gets a terminal of the
// sandbox's own, sized like the caller's; Ctrl-C interrupts the shell's foreground job and
// neither the shell nor the supervisor; the exit status passes through; the caller's terminal
// modes come back.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "fixture.h"

namespace sandbox::testing {
namespace {

class ShellTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    master_ = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master_ < 0) GTEST_SKIP() << "no pty available: " << std::strerror(errno);
    ASSERT_EQ(::grantpt(master_), 0);
    ASSERT_EQ(::unlockpt(master_), 0);
    slave_ = ::open(::ptsname(master_), O_RDWR | O_NOCTTY | O_CLOEXEC);
    ASSERT_GE(slave_, 0) << std::strerror(errno);
    struct winsize size = {};
    size.ws_row = 33;
    size.ws_col = 77;
    ASSERT_EQ(::ioctl(master_, TIOCSWINSZ, &size), 0);
    std::ifstream in(std::string(SANDBOX_SOURCE_PROFILES) + "/base.toml");
    std::stringstream text;
    text << in.rdbuf();
    profile_ = MakeFile("base.toml", text.str());
  }
  void TearDown() override {
    if (slave_ >= 0) ::close(slave_);
    if (master_ >= 0) ::close(master_);
    SandboxTest::TearDown();
  }

  void Type(const std::string& text) {
    ASSERT_EQ(::write(master_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }

  SpawnOptions OnTerminal() {
    SpawnOptions options = DefaultOptions();
    options.terminal_fd = slave_;
    return options;
  }

  int master_ = -1;
  int slave_ = -1;
  std::string profile_;
};

TEST_F(ShellTest, InteractiveShellWorksOnATerminalOfItsOwn) {
  struct termios before = {};
  ASSERT_EQ(::tcgetattr(slave_, &before), 0);
  Process shell(SandboxArgv({"shell", "--profile", profile_}), OnTerminal());
  Type("tty; stty size; echo hello-$((6*7))\n");
  ASSERT_TRUE(shell.WaitForStdout("hello-42")) << shell.Finish();
  // Ctrl-C reaches the shell's foreground job through the sandbox's pty, not the supervisor.
  // If it did not, `sleep 1000` would outlive the runner's 30 s deadline (timed_out below).
  Type("echo sleep-$((1+2)); sleep 1000\n");
  ASSERT_TRUE(shell.WaitForStdout("sleep-3")) << shell.Finish();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Type("\x03");
  Type("echo after-$((1+1)); exit 3\n");
  RunResult r = shell.Finish();
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_NE(r.out.find("/dev/pts/0"), std::string::npos) << "the shell's own devpts\n" << r;
  EXPECT_NE(r.out.find("33 77"), std::string::npos) << "the caller's window size\n" << r;
  EXPECT_NE(r.out.find("after-2"), std::string::npos) << r;

  struct termios after = {};
  ASSERT_EQ(::tcgetattr(slave_, &after), 0);
  EXPECT_EQ(after.c_lflag, before.c_lflag) << "the caller's terminal was left in raw mode";
  EXPECT_EQ(after.c_iflag, before.c_iflag);
  EXPECT_EQ(after.c_oflag, before.c_oflag);
}

TEST_F(ShellTest, WindowSizeChangesReachTheShell) {
  Process shell(SandboxArgv({"shell", "--profile", profile_}), OnTerminal());
  Type("echo ready\n");
  ASSERT_TRUE(shell.WaitForStdout("ready")) << shell.Finish();
  struct winsize size = {};
  size.ws_row = 50;
  size.ws_col = 120;
  ASSERT_EQ(::ioctl(master_, TIOCSWINSZ, &size), 0);  // the kernel sends SIGWINCH
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Type("stty size; exit\n");
  RunResult r = shell.Finish();
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("50 120"), std::string::npos) << r;
}

TEST_F(ShellTest, WithoutATerminalTheShellReadsItsInput) {
  RunResult r = RunSandbox({"shell", "--profile", profile_});  // stdin is /dev/null
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "") << r;
}

TEST_F(ShellTest, ShellTakesNoCommand) {
  RunResult r = RunSandbox({"shell", "--", "ls"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find("takes no command"), std::string::npos) << r;
}

TEST_F(ShellTest, TtyNeedsTheSandboxsOwnDev) {
  RunResult r = RunSandbox({"--tty", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_EQ(r.err,
            "sandbox: --tty needs the sandbox's own /dev for its pseudo-terminal; add --dev /dev "
            "(or a profile with a [[mount]] of type \"dev\")\n")
      << r;
}

}  // namespace
}  // namespace sandbox::testing

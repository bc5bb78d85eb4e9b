// The relay between the caller's terminal and the sandbox's pty (--tty, `sandbox shell`) under
// a real pseudo-terminal: nothing in the sandbox holds or controls the caller's terminal, so
// TIOCSTI lands in the sandbox's own; the caller's modes come back when the supervisor dies of
// SIGPIPE and while it is stopped, and raw mode comes back when it continues.
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>

#include <filesystem>
#include <string>

#include "pty_fixture.h"

namespace sandbox::testing {
namespace {

namespace fs = std::filesystem;

using TerminalTest = PtyTest;

// Same device and inode: the same open terminal, whatever name either side gives it.
bool IsSameFile(const std::string& path, const struct stat& target) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && st.st_dev == target.st_dev && st.st_ino == target.st_ino;
}

// A process holds the terminal if one of its descriptors is it.
bool Holds(pid_t pid, const struct stat& terminal) {
  std::error_code ec;
  for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
    if (IsSameFile(fd.path().string(), terminal)) return true;
  }
  return false;
}

std::string Sid(pid_t pid) { return StatField(pid, 6); }

TEST_F(TerminalTest, NothingInTheSandboxHoldsOrControlsTheCallersTerminal) {
  if (!AsRoot()) GTEST_SKIP() << "reading other processes' /proc/PID/fd needs root";
  struct stat outer;
  ASSERT_EQ(::fstat(slave_, &outer), 0);
  Process shell(SandboxArgv({"shell", "--profile", profile_}), OnTerminal());
  Type("echo rea\"\"dy\n");
  ASSERT_TRUE(shell.WaitForStdout("ready")) << shell.Finish();
  // Asked on the master side: on the slave only the session's own members may ask.
  pid_t outer_session = 0;
  ASSERT_EQ(::ioctl(master_, TIOCGSID, &outer_session), 0) << std::strerror(errno);
  // The check can see a holder: the supervisor itself holds the terminal and leads its session.
  EXPECT_TRUE(Holds(shell.pid(), outer));
  EXPECT_EQ(Sid(shell.pid()), std::to_string(outer_session));

  std::vector<pid_t> inside = Descendants(shell.pid());
  ASSERT_GE(inside.size(), 2u) << "pid 1 and the shell";
  for (pid_t pid : inside) {
    std::string comm = ReadHostFile("/proc/" + std::to_string(pid) + "/comm");
    EXPECT_FALSE(Holds(pid, outer)) << "pid " << pid << " " << comm;
    // A controlling terminal belongs to its session: another session cannot have ours, and
    // TIOCSTI needs the terminal to be the caller's controlling one (tty_ioctl(4)).
    EXPECT_NE(Sid(pid), std::to_string(outer_session)) << "pid " << pid << " " << comm;
  }
  Type("exit\n");
  RunResult r = shell.Finish();
  EXPECT_EQ(r.exit_code, 0) << r;
}

TEST_F(TerminalTest, TiocstiIsDeniedAndWithoutSeccompLandsInTheSandboxsOwnTerminal) {
  Process shell(SandboxArgv({"shell", "--profile", profile_, "--ro-bind", BinDir(), "/sbx"}),
                OnTerminal());
  Type("/sbx/probe ioctl-tiocsti; echo do\"\"ne\n");
  ASSERT_TRUE(shell.WaitForStdout("done")) << shell.Finish();
  Type("exit\n");
  RunResult denied = shell.Finish();
  EXPECT_NE(denied.out.find("error EPERM "), std::string::npos) << denied;

  // Without the filter the ioctl works, on the only terminal the job has: the 'x' it pushes is
  // read by the shell in front of the next line typed.
  Process open(SandboxArgv({"shell", "--profile", profile_, "--ro-bind", BinDir(), "/sbx",
                            "--seccomp-policy", "none"}),
               OnTerminal());
  Type("/sbx/probe ioctl-tiocsti; echo do\"\"ne\n");
  ASSERT_TRUE(open.WaitForStdout("done")) << open.Finish();
  Type("echo y; exit\n");
  RunResult r = open.Finish();
  EXPECT_NE(r.out.find("ok\r\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("xecho: "), std::string::npos) << "the pushed byte reached the shell\n" << r;
}

TEST_F(TerminalTest, DyingOfSigpipeGivesTheCallerItsModesBack) {
  struct termios before = CallerModes();
  Process shell(SandboxArgv({"shell", "--profile", profile_}), OnTerminal());
  Type("echo rea\"\"dy\n");
  ASSERT_TRUE(shell.WaitForStdout("ready")) << shell.Finish();
  ASSERT_FALSE(SameModes(CallerModes(), before)) << "raw while the relay runs";
  // The reader of the supervisor's output goes away (`sandbox shell | tee log`, tee killed):
  // the next byte the relay copies out raises SIGPIPE.
  shell.CloseStdout();
  Type("echo more\n");
  RunResult r = shell.Finish();
  EXPECT_EQ(r.term_signal, SIGPIPE) << r;
  EXPECT_TRUE(SameModes(CallerModes(), before)) << "the caller's terminal was left in raw mode";
}

TEST_F(TerminalTest, AStoppedSupervisorGivesTheTerminalBackAndTakesItAgainOnContinue) {
  struct termios before = CallerModes();
  Process shell(SandboxArgv({"shell", "--profile", profile_}), OnTerminal());
  Type("echo rea\"\"dy\n");
  ASSERT_TRUE(shell.WaitForStdout("ready")) << shell.Finish();
  ASSERT_FALSE(SameModes(CallerModes(), before));

  ASSERT_EQ(::kill(shell.pid(), SIGTSTP), 0);
  ASSERT_TRUE(Eventually([&] { return StatField(shell.pid(), 3) == "T"; }));
  EXPECT_TRUE(SameModes(CallerModes(), before)) << "stopped, but the terminal is still raw";

  ASSERT_EQ(::kill(shell.pid(), SIGCONT), 0);
  ASSERT_TRUE(Eventually([&] { return !SameModes(CallerModes(), before); }))
      << "raw mode did not come back";
  Type("echo back-$((1+1)); exit 5\n");
  RunResult r = shell.Finish();
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_NE(r.out.find("back-2"), std::string::npos) << r;
  EXPECT_TRUE(SameModes(CallerModes(), before));
}

TEST_F(TerminalTest, AfterSigstopAndTheCallersResetContinueMakesTheTerminalRawAgain) {
  struct termios before = CallerModes();
  Process shell(SandboxArgv({"shell", "--profile", profile_}), OnTerminal());
  Type("echo rea\"\"dy\n");
  ASSERT_TRUE(shell.WaitForStdout("ready")) << shell.Finish();
  // SIGSTOP cannot be caught; the caller's shell then puts its own modes back, as bash does
  // when a foreground job stops.
  ASSERT_EQ(::kill(shell.pid(), SIGSTOP), 0);
  ASSERT_TRUE(Eventually([&] { return StatField(shell.pid(), 3) == "T"; }));
  ASSERT_EQ(::tcsetattr(slave_, TCSANOW, &before), 0);

  ASSERT_EQ(::kill(shell.pid(), SIGCONT), 0);
  ASSERT_TRUE(Eventually([&] { return !SameModes(CallerModes(), before); }))
      << "raw mode did not come back";
  Type("exit 6\n");
  RunResult r = shell.Finish();
  EXPECT_EQ(r.exit_code, 6) << r;
  EXPECT_TRUE(SameModes(CallerModes(), before)) << "the caller's own modes, not raw ones";
}

}  // namespace
}  // namespace sandbox::testing

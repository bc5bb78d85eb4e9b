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

#include "pty_fixture.h"

namespace sandbox::testing {
namespace {

using ShellTest = PtyTest;

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
  // Ctrl-C once `sleep` runs, so it is the sleep that the line discipline interrupts.
  ASSERT_TRUE(Eventually([&] {
    for (pid_t pid : Descendants(shell.pid())) {
      if (ReadHostFile("/proc/" + std::to_string(pid) + "/comm") == "sleep\n") return true;
    }
    return false;
  }));
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

// Ctrl-Z is the shell's: its foreground job stops, the shell lists it and resumes it; the
// supervisor, which the caller's terminal in raw mode never signals, is not stopped.
TEST_F(ShellTest, CtrlZStopsTheShellsJobNotTheSupervisor) {
  Process shell(SandboxArgv({"shell", "--profile", profile_}), OnTerminal());
  Type("sleep 1000\n");
  pid_t sleep_pid = 0;
  ASSERT_TRUE(Eventually([&] {
    for (pid_t pid : Descendants(shell.pid())) {
      if (ReadHostFile("/proc/" + std::to_string(pid) + "/comm") == "sleep\n") sleep_pid = pid;
    }
    return sleep_pid != 0;
  }));
  Type("\x1a");
  ASSERT_TRUE(Eventually([&] { return StatField(sleep_pid, 3) == "T"; }));
  EXPECT_NE(StatField(shell.pid(), 3), "T");
  // Back to the foreground, then ended the way it began: from the keyboard.
  Type("echo jo\"\"bs-$(jobs | wc -l); fg\n");
  ASSERT_TRUE(Eventually([&] { return StatField(sleep_pid, 3) == "S"; }));
  Type("\x03");
  ASSERT_TRUE(Eventually([&] { return StatField(sleep_pid, 3).empty(); }));
  Type("exit 7\n");
  RunResult r = shell.Finish();
  EXPECT_EQ(r.exit_code, 7) << r;
  EXPECT_NE(r.out.find("jobs-1"), std::string::npos) << r;
}

TEST_F(ShellTest, WindowSizeChangesReachTheShell) {
  Process shell(SandboxArgv({"shell", "--profile", profile_}), OnTerminal());
  // The shell waits for the new size inside one command line. Resized while bash is between
  // commands, the change can be lost to bash itself: it reads the size and writes it back
  // (TIOCGWINSZ, then TIOCSWINSZ) as it returns to its prompt, a read-modify-write that
  // strace showed undoing the relay's resize once in ~30 runs. Inside the running line it
  // does not, so the resize comes after "loop" is printed. A resize that never reaches the
  // pty fails at the runner's deadline.
  Type(
      "echo lo\"\"op; until [ \"$(stty size)\" = \"50 120\" ]; do sleep 0.01; done; "
      "echo si\"\"ze-ok; exit\n");
  ASSERT_TRUE(shell.WaitForStdout("loop")) << shell.Finish();
  struct winsize size = {};
  size.ws_row = 50;
  size.ws_col = 120;
  ASSERT_EQ(::ioctl(master_, TIOCSWINSZ, &size), 0);
  RunResult r = shell.Finish();
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("size-ok"), std::string::npos) << r;
}

TEST_F(ShellTest, WithoutATerminalTheShellReadsItsInput) {
  RunResult r = RunSandbox({"shell", "--profile", profile_});  // stdin is /dev/null
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "") << r;
}

TEST_F(ShellTest, WithoutATerminalTheShellRunsWhatItReadsFromAPipe) {
  int commands[2];
  ASSERT_EQ(::pipe2(commands, O_CLOEXEC), 0);
  const std::string script = "echo piped-$((2+3)); test -t 0 || echo no-terminal; exit 4\n";
  ASSERT_EQ(::write(commands[1], script.data(), script.size()),
            static_cast<ssize_t>(script.size()));
  ::close(commands[1]);
  SpawnOptions options = DefaultOptions();
  options.stdin_fd = commands[0];
  RunResult r = RunSandbox({"shell", "--profile", profile_}, options);
  ::close(commands[0]);
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_EQ(r.out, "piped-5\nno-terminal\n") << r;
}

// Which shell runs: the caller's $SHELL when that file exists in the sandbox, else bash.
class ShellChoiceTest : public PtyTest {
 protected:
  std::string ShellChosenFor(const std::string& caller_shell, RunResult* r) {
    SpawnOptions options = OnTerminal();
    options.env.push_back("SHELL=" + caller_shell);
    Process shell(SandboxArgv({"shell", "--profile", profile_}), options);
    // Quoted apart so the terminal's echo of the typed line never matches.
    Type("echo \"cho\"\"sen=[$0]\"; exit\n");
    *r = shell.Finish();
    size_t at = r->out.find("chosen=[");
    if (at == std::string::npos) return "";
    at += 8;
    return r->out.substr(at, r->out.find(']', at) - at);
  }
};

TEST_F(ShellChoiceTest, TheCallersShellRunsWhenTheSandboxHasIt) {
  RunResult r;
  EXPECT_EQ(ShellChosenFor("/bin/dash", &r), "/bin/dash") << r;
  EXPECT_EQ(r.exit_code, 0) << r;
}

TEST_F(ShellChoiceTest, AShellTheSandboxLacksOrALoginRefusalFallsBackToBash) {
  RunResult r;
  EXPECT_EQ(ShellChosenFor("/opt/no-such-dir/zsh", &r), "bash") << r;
  EXPECT_EQ(ShellChosenFor("/usr/sbin/nologin", &r), "bash") << r;
  EXPECT_EQ(ShellChosenFor("dash", &r), "bash") << "only absolute paths\n" << r;
}

// The prompt says the shell is inside, and which run it is (the name `enter` and `stop`
// take); the caller is told once that the shell's history goes with the sandbox.
TEST_F(ShellTest, ThePromptNamesTheRunAndTheHistoryIsSaidToGo) {
  Process named(SandboxArgv({"shell", "--profile", profile_, "--name", "it-prompt"}), OnTerminal());
  Type("echo \"ru\"\"n=[$SANDBOX_RUN]\"; exit\n");
  RunResult r = named.Finish();
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("[sandbox it-prompt] "), std::string::npos) << r;
  EXPECT_NE(r.out.find("run=[it-prompt]"), std::string::npos) << r;
  EXPECT_NE(r.err.find("sandbox: shell in run it-prompt; its history and files outside the "
                       "directories the profile binds go when it exits"),
            std::string::npos)
      << r;

  // Without --name the generated name is in the prompt and in $SANDBOX_RUN alike.
  Process unnamed(SandboxArgv({"shell", "--profile", profile_}), OnTerminal());
  Type("echo \"ru\"\"n=[$SANDBOX_RUN]\"; exit\n");
  r = unnamed.Finish();
  size_t at = r.out.find("run=[");
  ASSERT_NE(at, std::string::npos) << r;
  std::string name = r.out.substr(at + 5, r.out.find(']', at) - at - 5);
  EXPECT_FALSE(name.empty()) << r;
  EXPECT_NE(r.out.find("[sandbox " + name + "] "), std::string::npos) << r;
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

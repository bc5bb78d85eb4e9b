// A fixture for runs under a real pseudo-terminal: the test holds the master (it types and
// resizes), the sandbox gets the slave as stdin and controlling terminal, and stdout/stderr
// stay pipes the runner reads. Used by shell_test.cc and terminal_test.cc.
#ifndef SANDBOX_TESTS_INTEGRATION_PTY_FIXTURE_H_
#define SANDBOX_TESTS_INTEGRATION_PTY_FIXTURE_H_

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"

namespace sandbox::testing {

class PtyTest : public SandboxTest {
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

  /// The modes of the terminal the sandbox was started on, as its caller sees them.
  struct termios CallerModes() const {
    struct termios modes = {};
    EXPECT_EQ(::tcgetattr(slave_, &modes), 0) << std::strerror(errno);
    return modes;
  }

  int master_ = -1;
  int slave_ = -1;
  std::string profile_;
};

/// Host pids of every process below `root` (children, their children, ...).
inline std::vector<pid_t> Descendants(pid_t root) {
  std::vector<pid_t> found = ChildrenOf(root);
  for (size_t i = 0; i < found.size(); ++i) {
    for (pid_t child : ChildrenOf(found[i])) found.push_back(child);
  }
  return found;
}

/// Field `index` (1-based, as in proc(5): 3 is the state) of /proc/PID/stat; empty if gone.
inline std::string StatField(pid_t pid, int index) {
  std::string stat = ReadHostFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');  // comm may contain spaces and parentheses
  if (paren == std::string::npos) return "";
  std::istringstream fields(stat.substr(paren + 1));
  std::string field;
  for (int i = 3; i <= index && fields >> field; ++i) {
    if (i == index) return field;
  }
  return "";
}

/// Polls `condition` until it holds; false if it still does not after a deadline far beyond
/// any healthy run (the test then fails on that, never on how long it took).
template <typename Condition>
bool Eventually(Condition condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

/// The flags that decide how a terminal behaves are the same in both.
inline bool SameModes(const struct termios& a, const struct termios& b) {
  return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_lflag == b.c_lflag &&
         a.c_cflag == b.c_cflag;
}

}  // namespace sandbox::testing

#endif  // SANDBOX_TESTS_INTEGRATION_PTY_FIXTURE_H_

// The egress proxy's seccomp filter: the program compiled at build time is exactly what
// libseccomp gives for proxy_filter.cc's list now, and once installed (as the proxy installs
// it) it keeps the proxy from files, other socket families, exec, signals and ptrace, and
// kills a call made through another architecture's entry.
#include "egress/proxy_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "egress/confine.h"
#include "gtest/gtest.h"

namespace sandbox::egress {
namespace {

TEST(ProxyFilterTest, BuildTimeProgramMatchesLibseccomp) {
  auto compiled = CompileProxyFilter();
  ASSERT_TRUE(compiled) << compiled.error().ToString();
  std::span<const sock_filter> built = ProxyFilterProgram();
  ASSERT_EQ(built.size(), compiled->size());
  for (size_t i = 0; i < built.size(); ++i) {
    const sock_filter& a = built[i];
    const sock_filter& b = (*compiled)[i];
    EXPECT_TRUE(a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k)
        << "instruction " << i;
  }
}

// Ends the confined child. Not _exit: the compiler puts a sanitizer hook before every call to
// a noreturn function, and ASan's calls sigaltstack, which the filter refuses.
void ExitConfined(int code) { ::syscall(SYS_exit_group, code); }

// Each call's result in a forked child under the installed filter: "ok" or the errno's number.
std::vector<std::string> RunConfined() {
  int results[2];
  EXPECT_EQ(::pipe2(results, O_CLOEXEC), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::close(results[0]);
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(10);
    if (!InstallProxyFilter().empty()) ::_exit(11);
    auto report = [&](long rc) {
      int value = rc < 0 ? errno : 0;
      if (rc >= 0 && rc < 1024) ::close(static_cast<int>(rc));
      if (::write(results[1], &value, sizeof(value)) != sizeof(value)) ExitConfined(12);
    };
    report(::syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_CLOEXEC));
    report(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    report(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0));
    report(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0));
    report(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    // The family is an int: high bits above it do not turn AF_UNIX into something allowed.
    report(::syscall(SYS_socket, (1L << 32) | AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    report(::syscall(SYS_execve, "/bin/true", argv, nullptr));
    report(::syscall(SYS_kill, ::getppid(), 0));
    report(::syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0));
    // The relay copies through its buffer (connection.cc): no pipes, no splice.
    int ends[2];
    report(::syscall(SYS_pipe2, ends, O_CLOEXEC));
    report(::syscall(SYS_splice, 0, nullptr, 1, nullptr, 4096, 0));
    report(::syscall(SYS_getpid));
    ExitConfined(0);
  }
  ::close(results[1]);
  std::vector<std::string> seen;
  int value;
  while (::read(results[0], &value, sizeof(value)) == sizeof(value)) {
    seen.push_back(value == 0 ? "ok" : value == EPERM ? "EPERM" : std::to_string(value));
  }
  ::close(results[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  return seen;
}

TEST(ProxyFilterTest, OnlyTheCallsOfItsListPass) {
  EXPECT_EQ(RunConfined(),
            (std::vector<std::string>{"EPERM", "EPERM", "EPERM", "EPERM", "ok", "EPERM", "EPERM",
                                      "EPERM", "EPERM", "EPERM", "EPERM", "ok"}));
}

#if defined(__x86_64__)
// The x32 entry (the syscall number with bit 30 set) is another architecture to the filter:
// the call kills the process, it is not answered.
TEST(ProxyFilterTest, AnotherArchitecturesCallKills) {
  pid_t child = ::fork();
  if (child == 0) {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(10);
    if (!InstallProxyFilter().empty()) ::_exit(11);
    ::syscall(0x40000000L | SYS_getpid);
    ExitConfined(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) << status;
}
#endif

}  // namespace
}  // namespace sandbox::egress

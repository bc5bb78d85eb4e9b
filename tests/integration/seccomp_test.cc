// The seccomp filter from inside real sandboxes: each denied call fails through every ABI the
// kernel accepts, the calls builds need still work, and denials are reported by name.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "fixture.h"

namespace sandbox::testing {
namespace {

class SeccompTest : public SandboxTest {
 protected:
  // Some kernels run no i386 code at all (IA32 emulation compiled out or booted off): the
  // probe says so, and there is no i386 ABI to filter.
  static bool KernelRunsI386() {
    static const bool runs = [] {
      RunResult r = RunProcess(HostProbeArgv({"abi-call", "i386", "getpid"}), DefaultOptions());
      return r.out.rfind("unsupported", 0) != 0;
    }();
    return runs;
  }
};

constexpr const char* kAbis[] = {"x86_64", "i386", "x32"};

// "sandbox: seccomp denied NAME x1 (first: probe, pid 2)": the job is pid 2, pid 1 is init.
std::string DeniedOnce(const std::string& name) {
  return "sandbox: seccomp denied " + name + " x1 (first: probe, pid 2)\n";
}

TEST_F(SeccompTest, DeniedCallsFailWithEpermThroughEveryAbi) {
  for (const char* abi : kAbis) {
    if (std::string(abi) == "i386" && !KernelRunsI386()) continue;
    for (const char* call : {"keyctl", "unshare-user"}) {
      RunResult r = RunProbe({}, {"abi-call", abi, call});
      EXPECT_EQ(r.exit_code, 1) << abi << " " << call << "\n" << r;
      EXPECT_EQ(r.out.rfind("error EPERM ", 0), 0u) << abi << " " << call << "\n" << r;
      std::string name = std::string(call) == "keyctl" ? "keyctl" : "unshare";
      EXPECT_EQ(r.err, DeniedOnce(name)) << abi << " " << call << "\n" << r;
    }
  }
}

TEST_F(SeccompTest, AllowedCallsGoThroughEveryAbi) {
  RunResult r = RunProbe({}, {"abi-call", "x86_64", "getpid"});
  EXPECT_EQ(r.out, "ok 2\n") << r;
  if (KernelRunsI386()) {
    r = RunProbe({}, {"abi-call", "i386", "getpid"});
    EXPECT_EQ(r.out, "ok 2\n") << r;
    EXPECT_EQ(r.err, "") << r;
  }
  // x32 may be compiled out of the kernel (ENOSYS from the kernel, not from the filter).
  r = RunProbe({}, {"abi-call", "x32", "getpid"});
  EXPECT_TRUE(r.out == "ok 2\n" || r.out.rfind("error ENOSYS ", 0) == 0) << r;
  EXPECT_EQ(r.err, "") << r;
}

// Without the filter the same calls succeed: the refusals above are the filter's doing.
TEST_F(SeccompTest, PolicyNoneInstallsNoFilter) {
  RunResult r = RunProbe({"--seccomp-policy", "none"}, {"status"});
  EXPECT_NE(r.out.find("Seccomp:\t0\n"), std::string::npos) << r;
  r = RunProbe({"--seccomp-policy", "none"}, {"unshare-user"});
  EXPECT_EQ(r.out, "ok\n") << r;
  r = RunProbe({"--seccomp-policy", "none"}, {"clone-newuser"});
  EXPECT_EQ(r.out, "ok\n") << r;
}

TEST_F(SeccompTest, JobRunsFilteredWithNoNewPrivs) {
  RunResult r = RunProbe({}, {"status"});
  EXPECT_NE(r.out.find("Seccomp:\t2\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("NoNewPrivs:\t1\n"), std::string::npos) << r;
}

// The listener goes to the supervisor and nowhere else: the job never holds it (a job holding
// it could answer its own denied calls).
TEST_F(SeccompTest, TheJobHoldsNoListener) {
  RunResult r = RunProbe({}, {"fd-links"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("0 "), std::string::npos) << r;
  EXPECT_EQ(r.out.find("anon_inode:seccomp notify"), std::string::npos) << r;
  // The supervisor has it: denials still reach it.
  r = RunProbe({}, {"abi-call", "x86_64", "keyctl"});
  EXPECT_EQ(r.err, DeniedOnce("keyctl")) << r;
}

// The supervisor takes the listener itself (pidfd_getfd): the job makes no helper process for
// it, so a job held to the processes it already is (pid 1 and itself) still starts. With a
// helper, its fork failed (EAGAIN) and the run with it.
TEST_F(SeccompTest, AJobHeldToItsOwnProcessesStarts) {
  RunResult r = RunProbe({"--limit", "nproc=2"}, {"exit", "7"});
  EXPECT_EQ(r.exit_code, 7) << r;
  EXPECT_EQ(r.err, "") << r;
}

TEST_F(SeccompTest, NestedUserNamespacesAreRefused) {
  RunResult r = RunProbe({}, {"unshare-user"});
  EXPECT_EQ(r.out.rfind("error EPERM ", 0), 0u) << r;
  EXPECT_EQ(r.err, DeniedOnce("unshare")) << r;
  r = RunProbe({}, {"clone-newuser"});
  EXPECT_EQ(r.out.rfind("error EPERM ", 0), 0u) << r;
  EXPECT_EQ(r.err, DeniedOnce("clone")) << r;
}

// Sanitizers and debuggers need ptrace on the job's own children.
TEST_F(SeccompTest, PtraceOfOwnChildWorks) {
  RunResult r = RunProbe({}, {"ptrace-child"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "ok\n") << r;
}

// pid 1 holds the socket to the supervisor. It keeps capabilities the job lacks, so the job
// (same ids) cannot trace it, whatever the filter (ptrace itself is allowed, above).
TEST_F(SeccompTest, TheJobCannotTraceInit) {
  for (const char* policy : {"default", "none"}) {
    RunResult r = RunProbe({"--seccomp-policy", policy}, {"ptrace-seize", "1"});
    EXPECT_EQ(r.exit_code, 1) << policy << "\n" << r;
    EXPECT_EQ(r.out.rfind("error EPERM", 0), 0u) << policy << "\n" << r;
  }
}

TEST_F(SeccompTest, SocketFamiliesOutsideTheListAreUnsupported) {
  for (const char* family : {"1", "2", "10", "16"}) {
    RunResult r = RunProbe({}, {"socket", family});
    EXPECT_EQ(r.out, "ok\n") << "family " << family << "\n" << r;
  }
  for (const char* family : {"40" /* AF_VSOCK */, "17" /* AF_PACKET */, "0"}) {
    RunResult r = RunProbe({}, {"socket", family});
    EXPECT_EQ(r.out.rfind("error EAFNOSUPPORT ", 0), 0u) << "family " << family << "\n" << r;
    EXPECT_EQ(r.err, DeniedOnce("socket")) << r;
  }
}

TEST_F(SeccompTest, OnlyHarmlessPersonalities) {
  for (const char* value :
       {"4294967295" /* query */, "0", "8" /* PER_LINUX32 */, "262144" /* ADDR_NO_RANDOMIZE */}) {
    RunResult r = RunProbe({}, {"personality", value});
    EXPECT_EQ(r.exit_code, 0) << value << "\n" << r;
    EXPECT_EQ(r.err, "") << value << "\n" << r;
  }
  RunResult r = RunProbe({}, {"personality", "4194304" /* READ_IMPLIES_EXEC */});
  EXPECT_EQ(r.out.rfind("error EPERM ", 0), 0u) << r;
  EXPECT_EQ(r.err, DeniedOnce("personality")) << r;
}

TEST_F(SeccompTest, TiocstiIsDeniedByTheFilter) {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) GTEST_SKIP() << "no pty available: " << std::strerror(errno);
  int slave = -1;
  if (::grantpt(master) == 0 && ::unlockpt(master) == 0) {
    if (const char* name = ::ptsname(master)) slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  ASSERT_GE(slave, 0) << std::strerror(errno);
  SpawnOptions options = DefaultOptions();
  options.terminal_fd = slave;
  RunResult r = RunProbe({}, {"ioctl-tiocsti"}, options);
  ::close(master);
  ::close(slave);
  EXPECT_EQ(r.out.rfind("error EPERM ", 0), 0u) << r;
  EXPECT_EQ(r.err, DeniedOnce("ioctl")) << r;
}

// TIOCSETD reaches line discipline code (n_gsm and friends, autoloaded) on any terminal the
// job can open, its own ptys included; on the caller's terminal it breaks the session.
TEST_F(SeccompTest, LineDisciplinesCannotBeChangedOnTheSandboxsOwnPty) {
  RunResult query = RunProbe({}, {"tty-ioctl", "getd", "new-pty"});
  EXPECT_EQ(query.out, "ok\n") << "reading the discipline stays allowed\n" << query;
  for (const char* form : {"low", "high"}) {
    RunResult r = RunProbe({}, {"tty-ioctl", "setd", "new-pty", form});
    EXPECT_EQ(r.out.rfind("error EPERM ", 0), 0u) << form << "\n" << r;
    EXPECT_EQ(r.err, DeniedOnce("ioctl")) << form << "\n" << r;
  }
  // Control: without the filter the kernel lets the job set one (N_TTY, harmless).
  RunResult open = RunProbe({"--seccomp-policy", "none"}, {"tty-ioctl", "setd", "new-pty"});
  EXPECT_EQ(open.out, "ok\n") << open;
}

TEST_F(SeccompTest, LineDisciplinesCannotBeChangedOnATerminalStdio) {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) GTEST_SKIP() << "no pty available: " << std::strerror(errno);
  int slave = -1;
  if (::grantpt(master) == 0 && ::unlockpt(master) == 0) {
    if (const char* name = ::ptsname(master)) slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  ASSERT_GE(slave, 0) << std::strerror(errno);
  SpawnOptions options = DefaultOptions();
  options.terminal_fd = slave;
  RunResult r = RunProbe({}, {"tty-ioctl", "setd", "stdin"}, options);
  RunResult open = RunProbe({"--seccomp-policy", "none"}, {"tty-ioctl", "setd", "stdin"}, options);
  ::close(master);
  ::close(slave);
  EXPECT_EQ(r.out.rfind("error EPERM ", 0), 0u) << r;
  EXPECT_EQ(r.err, DeniedOnce("ioctl")) << r;
  EXPECT_EQ(open.out, "ok\n") << "the kernel allows it without the filter\n" << open;
}

// The other terminal requests a build never needs (docs/seccomp.md): each is the filter's
// denial, reported by name, whatever the kernel itself would have answered on a pty.
TEST_F(SeccompTest, ConsoleAndHangupRequestsAreDeniedByTheFilter) {
  for (const char* request : {"cons", "vhangup", "sserial", "kdsetmode", "kdskbmode"}) {
    RunResult r = RunProbe({}, {"tty-ioctl", request, "new-pty"});
    EXPECT_EQ(r.out.rfind("error EPERM ", 0), 0u) << request << "\n" << r;
    EXPECT_EQ(r.err, DeniedOnce("ioctl")) << request << "\n" << r;
  }
}

TEST_F(SeccompTest, KillActionKillsWithSigsysThroughEveryAbi) {
  for (const char* abi : kAbis) {
    if (std::string(abi) == "i386" && !KernelRunsI386()) continue;
    RunResult r = RunProbe({"--seccomp-action", "kill"}, {"abi-call", abi, "keyctl"});
    EXPECT_EQ(r.exit_code, 128 + SIGSYS) << abi << "\n" << r;
    EXPECT_EQ(r.out, "") << abi << "\n" << r;
    EXPECT_NE(r.err.find("killed by SIGSYS"), std::string::npos) << abi << "\n" << r;
  }
}

TEST_F(SeccompTest, LogActionLetsTheCallThroughAndReportsIt) {
  RunResult r = RunProbe({"--seccomp-action", "log"}, {"unshare-user"});
  EXPECT_EQ(r.out, "ok\n") << r;
  EXPECT_EQ(r.err, "sandbox: seccomp logged unshare x1 (first: probe, pid 2)\n") << r;
}

TEST_F(SeccompTest, ProfileDenyAndAllowAdjustTheDefaultList) {
  std::string profile = MakeFile("p.toml", "[seccomp]\ndeny = [\"uname\"]\nallow = [\"keyctl\"]\n");
  RunResult r = RunProbe({"--profile", profile}, {"hostname"});
  EXPECT_EQ(r.out.rfind("error EPERM ", 0), 0u) << r;
  EXPECT_EQ(r.err, DeniedOnce("uname")) << r;
  r = RunProbe({"--profile", profile}, {"abi-call", "x86_64", "keyctl"});
  EXPECT_EQ(r.out.find("error EPERM"), std::string::npos) << r;
  EXPECT_EQ(r.err, "") << r;
}

TEST_F(SeccompTest, UnknownSyscallInAProfileIsAnErrorWithTheFix) {
  std::string profile = MakeFile("p.toml", "[seccomp]\ndeny = [\"keyctrl\"]\n");
  RunResult r = RunProbe({"--profile", profile}, {"hostname"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_EQ(r.out, "") << r;
  EXPECT_EQ(r.err.rfind("sandbox: " + profile +
                            ":2:9: unknown system call \"keyctrl\"; did you "
                            "mean \"keyctl\"?",
                        0),
            0u)
      << r;
}

}  // namespace
}  // namespace sandbox::testing

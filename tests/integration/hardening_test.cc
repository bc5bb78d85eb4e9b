// The fences beyond namespaces: Landlock and resource limits, proven from inside a sandbox.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "fixture.h"

namespace sandbox::testing {
namespace {

bool KernelHasLandlock() {
  constexpr unsigned kVersion = 1U << 0;
  return ::syscall(SYS_landlock_create_ruleset, nullptr, 0, kVersion) > 0;
}

class LandlockTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    if (IsSkipped()) return;
    if (!KernelHasLandlock()) GTEST_SKIP() << "this kernel has no Landlock";
  }
  void TearDown() override {
    if (fd_ >= 0) ::close(fd_);
    SandboxTest::TearDown();
  }

  // A host directory holding `secret`, open (O_PATH) on descriptor 7 of the caller.
  SpawnOptions WithHostDirectoryOn7() {
    std::string dir = MakeDir("host-dir");
    MakeFile("host-dir/secret", "do not read\n");
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    EXPECT_GE(fd_, 0) << dir << ": " << std::strerror(errno);
    SpawnOptions options = DefaultOptions();
    options.inherit_fds = {{7, fd_}};
    return options;
  }

  int fd_ = -1;
};

TEST_F(LandlockTest, PassedHostDirectoryCannotReachOutsideTheSandbox) {
  SpawnOptions options = WithHostDirectoryOn7();
  RunResult fenced = RunProbe({"--pass-fd", "7"}, {"fd-openat", "7", "secret"}, options);
  EXPECT_EQ(fenced.exit_code, 1) << fenced;
  EXPECT_EQ(fenced.out.rfind("error EACCES", 0), 0u) << fenced;

  // Control: without Landlock the same descriptor does reach the host file, so the denial
  // above is Landlock's doing.
  RunResult open =
      RunProbe({"--landlock", "off", "--pass-fd", "7"}, {"fd-openat", "7", "secret"}, options);
  EXPECT_EQ(open.exit_code, 0) << open;
  EXPECT_EQ(open.out, "ok\n") << open;
}

TEST_F(LandlockTest, OnlyWritableMountsAreWritable) {
  RunResult root = RunProbe({}, {"write", "/new-file"});
  EXPECT_EQ(root.exit_code, 1) << root;
  EXPECT_EQ(root.out.rfind("error EACCES", 0), 0u) << root;
  RunResult tmp = RunProbe({}, {"write", "/tmp/new-file"});
  EXPECT_EQ(tmp.exit_code, 0) << tmp;
  RunResult shm = RunProbe({}, {"write", "/dev/shm/segment"});
  EXPECT_EQ(shm.exit_code, 0) << shm;
  RunResult unfenced = RunProbe({"--landlock", "off"}, {"write", "/new-file"});
  EXPECT_EQ(unfenced.exit_code, 0) << unfenced;
}

class LimitsTest : public SandboxTest {};

TEST_F(LimitsTest, ForkBombStopsAtNproc) {
  RunResult limited = RunProbe({"--limit", "nproc=64"}, {"fork-bomb", "200"});
  ASSERT_EQ(limited.exit_code, 0) << limited;
  // RLIMIT_NPROC counts the user namespace's processes: init and the probe are two of 64.
  EXPECT_EQ(limited.out.find("created=200"), std::string::npos) << limited;
  EXPECT_NE(limited.out.find("first_error=EAGAIN"), std::string::npos) << limited;

  RunResult unlimited = RunProbe({}, {"fork-bomb", "200"});
  ASSERT_EQ(unlimited.exit_code, 0) << unlimited;
  EXPECT_NE(unlimited.out.find("created=200 failed=0"), std::string::npos) << unlimited;
}

TEST_F(LimitsTest, CoreDumpsAreOffByDefaultAndLimitsApplyHardAndSoft) {
  RunResult core = RunProbe({}, {"rlimit", "core"});
  EXPECT_EQ(core.out, "soft=0 hard=0\n") << core;
  RunResult nofile = RunProbe({"--limit", "nofile=123"}, {"rlimit", "nofile"});
  EXPECT_EQ(nofile.out, "soft=123 hard=123\n") << nofile;
}

TEST_F(LimitsTest, UnknownLimitIsASetupError) {
  RunResult r = RunProbe({"--limit", "procs=1"}, {"exit", "0"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_EQ(r.err,
            "sandbox: unknown limit \"procs\" (--limit procs=1); known limits: nofile, nproc, "
            "fsize, cpu, core, stack, as, memory, pids, cpus\n")
      << r;
}

TEST_F(LimitsTest, CgroupLimitsRunOrRefuseWithTheFix) {
  RunResult r = RunProbe({"--limit", "pids=32"}, {"fork-bomb", "100"});
  if (r.exit_code == kExitSandboxFailure) {
    // No delegated cgroup v2 subtree for this user: the run must refuse, never run unlimited.
    EXPECT_NE(r.err.find("systemd-run --user --scope -p Delegate=yes"), std::string::npos) << r;
    EXPECT_EQ(r.out, "") << r;
    GTEST_SKIP() << "no delegated cgroup v2 subtree here; checked the refusal only";
  }
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.find("created=100"), std::string::npos) << r;
}

}  // namespace
}  // namespace sandbox::testing

#include "launch/cgroup.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace sandbox::launch {
namespace {

namespace fs = std::filesystem;

constexpr char kMountinfo[] =
    "24 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
    "41 31 0:38 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";

TEST(FindOwnCgroupTest, JoinsTheUnifiedLineToTheMountPoint) {
  auto path = FindOwnCgroup("0::/user.slice/user-1000.slice/run.scope\n", kMountinfo);
  ASSERT_TRUE(path) << path.error().ToString();
  EXPECT_EQ(*path, "/sys/fs/cgroup/user.slice/user-1000.slice/run.scope");
  path = FindOwnCgroup("4:memory:/x\n0::/\n", kMountinfo);
  ASSERT_TRUE(path);
  EXPECT_EQ(*path, "/sys/fs/cgroup");
}

TEST(FindOwnCgroupTest, RefusesWithoutV2) {
  auto path = FindOwnCgroup("4:memory:/x\n1:cpu:/\n", kMountinfo);
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().hint, kCgroupDelegationHint);
  path = FindOwnCgroup("0::/\n", "24 1 254:0 / / rw - ext4 /dev/vda rw\n");
  ASSERT_FALSE(path);
  EXPECT_EQ(path.error().message, "no cgroup2 filesystem is mounted");
}

// A directory that looks like a delegated cgroup: the files the kernel would provide.
class FakeCgroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sandbox-cgroup-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    base_ = tmpl;
    Write(base_ + "/cgroup.controllers", "cpuset cpu io memory pids\n");
    Write(base_ + "/cgroup.subtree_control", "");
  }
  void TearDown() override { fs::remove_all(base_); }

  static void Write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // The kernel creates a cgroup's files on mkdir; a fake needs them made up front. An empty
  // leftover directory is what Create() reuses.
  std::string PrepareChild(int pid) {
    std::string dir = base_ + "/sandbox-" + std::to_string(pid);
    fs::create_directory(dir);
    for (const char* f : {"cgroup.procs", "memory.max", "memory.swap.max", "pids.max", "cpu.max",
                          "cgroup.kill", "memory.peak", "memory.events"}) {
      Write(dir + "/" + f, "");
    }
    return dir;
  }

  std::string base_;
};

TEST_F(FakeCgroupTest, CreateWritesTheLimitsInAChildCgroup) {
  CgroupLimits limits;
  limits.memory_max = 1 << 20;
  limits.pids_max = 64;
  limits.cpu_quota_us = 150000;
  PrepareChild(4242);
  auto run = RunCgroup::Create(base_, limits, 4242);
  ASSERT_TRUE(run) << run.error().ToString();
  EXPECT_EQ(run->path(), base_ + "/sandbox-4242");
  EXPECT_GE(run->dir_fd(), 0);
  EXPECT_EQ(Read(run->path() + "/memory.max"), "1048576");
  EXPECT_EQ(Read(run->path() + "/pids.max"), "64");
  EXPECT_EQ(Read(run->path() + "/cpu.max"), "150000 100000");
  // The last controller enabled in the parent is what a regular file keeps; the kernel's file
  // accumulates them.
  EXPECT_EQ(Read(base_ + "/cgroup.subtree_control"), "+cpu");
}

TEST_F(FakeCgroupTest, FinishKillsAndReadsUsage) {
  CgroupLimits limits;
  limits.memory_max = 1 << 20;
  PrepareChild(7);
  auto run = RunCgroup::Create(base_, limits, 7);
  ASSERT_TRUE(run);
  Write(run->path() + "/memory.peak", "123456\n");
  Write(run->path() + "/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\n");
  Write(run->path() + "/cgroup.kill", "");
  CgroupUsage usage = run->Finish();
  EXPECT_EQ(Read(run->path() + "/cgroup.kill"), "1");
  EXPECT_EQ(usage.memory_peak, 123456u);
  EXPECT_EQ(usage.oom_kills, 2u);
}

TEST_F(FakeCgroupTest, MissingControllerRefusesWithTheDelegationHint) {
  Write(base_ + "/cgroup.controllers", "cpu io\n");
  CgroupLimits limits;
  limits.memory_max = 1 << 20;
  auto run = RunCgroup::Create(base_, limits, 7);
  ASSERT_FALSE(run);
  EXPECT_EQ(run.error().message, "the memory controller is not delegated to " + base_);
  EXPECT_EQ(run.error().hint, kCgroupDelegationHint);
}

TEST_F(FakeCgroupTest, ALiveLeftoverIsNotReused) {
  std::string dir = PrepareChild(9);
  Write(dir + "/cgroup.procs", "1234\n");
  CgroupLimits limits;
  limits.pids_max = 10;
  auto run = RunCgroup::Create(base_, limits, 9);
  ASSERT_FALSE(run);
  EXPECT_EQ(run.error().errno_value, EEXIST);
}

// Started by `systemd-run --scope -p Delegate=yes`: the supervisor is in the delegated cgroup
// itself, which may not hold processes once it hands out controllers. It moves into a leaf.
TEST_F(FakeCgroupTest, SupervisorInTheDelegatedCgroupMovesIntoALeafFirst) {
  Write(base_ + "/cgroup.procs", "77\n");
  fs::create_directory(base_ + "/supervisor-77");
  Write(base_ + "/supervisor-77/cgroup.procs", "");
  fs::create_directory(base_ + "/supervisor-12");  // a leftover of a supervisor that is gone
  Write(base_ + "/supervisor-12/cgroup.procs", "");
  PrepareChild(77);
  CgroupLimits limits;
  limits.pids_max = 32;
  auto run = RunCgroup::Create(base_, limits, 77);
  ASSERT_TRUE(run) << run.error().ToString();
  EXPECT_EQ(Read(base_ + "/supervisor-77/cgroup.procs"), "77");
  EXPECT_EQ(Read(base_ + "/cgroup.subtree_control"), "+pids");
  // rmdir of the fake leftover fails (it holds a regular file); on cgroupfs it would go.
  EXPECT_TRUE(fs::exists(base_ + "/supervisor-12/cgroup.procs"));
}

TEST_F(FakeCgroupTest, UnwritableBaseRefuses) {
  if (::geteuid() == 0) GTEST_SKIP() << "root can write anywhere";
  ::chmod(base_.c_str(), 0555);
  CgroupLimits limits;
  limits.pids_max = 10;
  EXPECT_FALSE(RunCgroup::Create(base_, limits, 7));
}

}  // namespace
}  // namespace sandbox::launch

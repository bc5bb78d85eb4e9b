#include "app/run_registry.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace sandbox::app {
namespace {

// A fresh private directory under the test's temporary directory.
class RunRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && tmp[0] == '/' ? tmp : "/tmp") + "/registry-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A state whose supervisor and init are this (live) process, unless told otherwise.
  static launch::RunState State(const std::string& name) {
    launch::RunState s;
    s.name = name;
    s.supervisor_pid = ::getpid();
    s.supervisor_start = launch::ProcessStartTime(::getpid());
    s.init_pid = ::getpid();
    s.init_start = s.supervisor_start;
    s.command = {"sleep", "30"};
    return s;
  }
  static Result<void> Claim(const RunRegistry& registry, const std::string& name) {
    return registry.Reserve(name, ::getpid(), launch::ProcessStartTime(::getpid()));
  }
  bool Exists(const std::string& name) const {
    struct stat st;
    return ::lstat((dir_ + "/" + name + ".run").c_str(), &st) == 0;
  }

  std::string dir_;
};

TEST_F(RunRegistryTest, RefusesADirectoryOthersCanReachOrASymlink) {
  ASSERT_TRUE(RunRegistry::OpenAt({dir_}));
  ASSERT_EQ(::chmod(dir_.c_str(), 0750), 0);
  auto open = RunRegistry::OpenAt({dir_});
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().message.find("open to other users"), std::string::npos);
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  std::string link = dir_ + "/link";
  ASSERT_EQ(::mkdir((dir_ + "/real").c_str(), 0700), 0);
  ASSERT_EQ(::symlink((dir_ + "/real").c_str(), link.c_str()), 0);
  auto through_link = RunRegistry::OpenAt({link});
  ASSERT_FALSE(through_link);
  EXPECT_NE(through_link.error().message.find("not a directory"), std::string::npos);
  EXPECT_EQ(through_link.error().hint.find("its owner or root"), std::string::npos);
}

// Another user's directory in the sticky /dev/shm cannot be removed by the one refused: the
// hint does not tell them to.
TEST_F(RunRegistryTest, AnotherUsersDirectoryIsRefusedWithAHintTheyCanFollow) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root to give a directory to another uid";
  std::string theirs = dir_ + "/theirs";
  ASSERT_EQ(::mkdir(theirs.c_str(), 0700), 0);
  ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
  auto open = RunRegistry::OpenAt({theirs});
  ASSERT_FALSE(open);
  EXPECT_NE(open.error().message.find("owned by uid 65534, not by you"), std::string::npos);
  EXPECT_NE(open.error().hint.find("its owner or root can remove it"), std::string::npos);
}

TEST_F(RunRegistryTest, AClaimNamesOnlyItsSupervisorAndTheEntryIsPrivate) {
  auto registry = RunRegistry::OpenAt({dir_});
  ASSERT_TRUE(registry);
  ASSERT_TRUE(registry->Reserve("a", 1234, 5678));
  char text[64] = {};
  ASSERT_EQ(::readlink((dir_ + "/a.run").c_str(), text, sizeof(text) - 1), 18);
  EXPECT_STREQ(text, "starting 1234 5678");
  ASSERT_TRUE(registry->Write(State("a")));
  struct stat st;
  ASSERT_EQ(::lstat((dir_ + "/a.run").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(RunRegistryTest, AClaimIsNeverFollowed) {
  auto registry = RunRegistry::OpenAt({dir_});
  ASSERT_TRUE(registry);
  // A symlink whose text is not a claim (here: a path to a real entry) is stale, not read.
  ASSERT_TRUE(registry->Write(State("real")));
  ASSERT_EQ(::symlink((dir_ + "/real.run").c_str(), (dir_ + "/other.run").c_str()), 0);
  auto found = registry->Find("other");
  ASSERT_FALSE(found);
  EXPECT_NE(found.error().message.find("stale"), std::string::npos);
  EXPECT_FALSE(Exists("other"));
  EXPECT_TRUE(Exists("real"));
}

TEST_F(RunRegistryTest, AReservedNameIsTakenUntilRemoved) {
  auto registry = RunRegistry::OpenAt({dir_});
  ASSERT_TRUE(registry);
  ASSERT_TRUE(Claim(*registry, "build"));
  // Starting: neither listed nor found, but the name is held.
  EXPECT_TRUE(registry->LiveRuns().empty());
  auto starting = registry->Find("build");
  ASSERT_FALSE(starting);
  EXPECT_NE(starting.error().message.find("still starting"), std::string::npos);
  auto twice = Claim(*registry, "build");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("is already live"), std::string::npos);
  // Started: listed and found.
  ASSERT_TRUE(registry->Write(State("build")));
  ASSERT_EQ(registry->LiveRuns().size(), 1u);
  EXPECT_EQ(registry->LiveRuns()[0].name, "build");
  EXPECT_TRUE(registry->Find("build"));
  EXPECT_FALSE(Claim(*registry, "build"));
  registry->Remove("build");
  EXPECT_TRUE(Claim(*registry, "build"));
}

// A user namespace's directory goes with its last run (the namespace never comes back); a run
// starting meanwhile, whose directory is removed between Open and its claim, makes it again.
TEST_F(RunRegistryTest, ANamespacesDirectoryGoesWithItsLastRunAndComesBackForTheNext) {
  std::string ns = dir_ + "/ns";
  ASSERT_EQ(::mkdir(ns.c_str(), 0700), 0);
  auto registry = RunRegistry::OpenAt({ns, true});
  ASSERT_TRUE(registry);
  ASSERT_TRUE(Claim(*registry, "first"));
  ASSERT_TRUE(Claim(*registry, "second"));
  registry->Remove("first");
  struct stat st;
  EXPECT_EQ(::lstat(ns.c_str(), &st), 0) << "removed while another run was registered";
  registry->Remove("second");
  EXPECT_NE(::lstat(ns.c_str(), &st), 0) << "left behind by the namespace's last run";
  ASSERT_TRUE(Claim(*registry, "third"));
  ASSERT_EQ(::lstat(ns.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_TRUE(registry->Write(State("third")));
  EXPECT_EQ(registry->LiveRuns().size(), 1u);
  // The host's directory (and XDG_RUNTIME_DIR's) stays: one per user, reused by every run.
  auto host = RunRegistry::OpenAt({dir_});
  ASSERT_TRUE(host);
  ASSERT_TRUE(Claim(*host, "only"));
  host->Remove("only");
  EXPECT_EQ(::lstat(dir_.c_str(), &st), 0);
}

TEST_F(RunRegistryTest, AStaleEntryIsRemovedAndItsNameFree) {
  auto registry = RunRegistry::OpenAt({dir_});
  ASSERT_TRUE(registry);
  // Another process's start time on this pid: the supervisor that wrote it is gone.
  launch::RunState stale = State("old");
  stale.supervisor_start += 1;
  ASSERT_TRUE(registry->Write(stale));
  EXPECT_TRUE(registry->LiveRuns().empty());
  EXPECT_FALSE(Exists("old"));
  ASSERT_TRUE(registry->Write(stale));
  auto found = registry->Find("old");
  ASSERT_FALSE(found);
  EXPECT_NE(found.error().message.find("stale"), std::string::npos);
  EXPECT_FALSE(Exists("old"));
  ASSERT_TRUE(registry->Write(stale));
  EXPECT_TRUE(Claim(*registry, "old"));  // claimed over the stale entry
  EXPECT_FALSE(registry->Find("old"));   // and now starting, ours
  EXPECT_TRUE(Exists("old"));
}

TEST_F(RunRegistryTest, AnEndingRunIsNeitherListedNorRemoved) {
  auto registry = RunRegistry::OpenAt({dir_});
  ASSERT_TRUE(registry);
  // The supervisor lives on, its init is gone: the supervisor removes the entry itself, and
  // nothing else may (a new run of that name could otherwise lose its entry to it).
  launch::RunState ending = State("done");
  ending.init_start += 1;
  ASSERT_TRUE(registry->Write(ending));
  EXPECT_TRUE(registry->LiveRuns().empty());
  auto found = registry->Find("done");
  ASSERT_FALSE(found);
  EXPECT_NE(found.error().message.find("has ended"), std::string::npos);
  EXPECT_TRUE(Exists("done"));
  EXPECT_FALSE(Claim(*registry, "done"));
}

TEST_F(RunRegistryTest, AnotherUsersEntryIsRefusedByName) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root to give an entry to another uid";
  auto registry = RunRegistry::OpenAt({dir_});
  ASSERT_TRUE(registry);
  ASSERT_TRUE(registry->Write(State("theirs")));
  ASSERT_EQ(::chown((dir_ + "/theirs.run").c_str(), 65533, 65533), 0);
  auto found = registry->Find("theirs");
  ASSERT_FALSE(found);
  EXPECT_NE(found.error().message.find("belongs to uid 65533"), std::string::npos);
  EXPECT_TRUE(registry->LiveRuns().empty());
  EXPECT_TRUE(Exists("theirs"));
}

TEST(RunNameTest, NamesAreCheckedAndGeneratedNamesPass) {
  EXPECT_TRUE(CheckRunName("build-1.x_y"));
  EXPECT_FALSE(CheckRunName(""));
  EXPECT_FALSE(CheckRunName("../x"));
  EXPECT_FALSE(CheckRunName("-x"));
  EXPECT_FALSE(CheckRunName(std::string(65, 'a')));
  EXPECT_TRUE(CheckRunName(GenerateRunName()));
}

// A uid of another user namespace is not the host's: its directory never takes a host uid's
// name, which it would squat in the shared /dev/shm (tests/integration/enter_test.cc).
TEST(RunDirectoryTest, AnotherUserNamespaceGetsADirectoryOfItsOwn) {
  EXPECT_EQ(FallbackRunDirectoryName(0, kInitialUserNamespaceInode), "sandbox-0");
  EXPECT_EQ(FallbackRunDirectoryName(1000, std::nullopt), "sandbox-1000");
  EXPECT_EQ(FallbackRunDirectoryName(0, 4026532173), "sandbox-0-userns-4026532173");
  EXPECT_NE(FallbackRunDirectoryName(0, 4026532173), FallbackRunDirectoryName(0, 4026532174));
  // The kernel reuses a dead namespace's inode number: who the run is outside tells apart
  // the namespaces of two users that had the same number in turn.
  EXPECT_EQ(FallbackRunDirectoryName(0, 4026532173, 1001),
            "sandbox-0-userns-4026532173-outside-1001");
  EXPECT_NE(FallbackRunDirectoryName(0, 4026532173, 1001),
            FallbackRunDirectoryName(0, 4026532173, 0));
  EXPECT_EQ(FallbackRunDirectoryName(1000, kInitialUserNamespaceInode, 1000), "sandbox-1000");
}

TEST(RunDirectoryTest, TheUidOutsideComesFromTheLineThatMapsIt) {
  EXPECT_EQ(OutsideUid(0, "         0       1001          1\n"), 1001u);
  std::string map = "0 100000 1000\n1000 1001 1\n1001 101001 64535\n";
  EXPECT_EQ(OutsideUid(0, map), 100000u);
  EXPECT_EQ(OutsideUid(999, map), 100999u);
  EXPECT_EQ(OutsideUid(1000, map), 1001u);
  EXPECT_EQ(OutsideUid(1001, map), 101001u);
  EXPECT_EQ(OutsideUid(70000, map), std::nullopt);
  EXPECT_EQ(OutsideUid(5, ""), std::nullopt);
}

}  // namespace
}  // namespace sandbox::app

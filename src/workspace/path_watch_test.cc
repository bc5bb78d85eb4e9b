// The PATH check after a run (path_watch.h) on a private temporary tree: a project whose
// venv and bin/ are on PATH before a "system" directory.
#include "workspace/path_watch.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/scratch_dir_test.h"
namespace sandbox::workspace {
namespace {

class PathWatchTest : public ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    for (const char* d : {"proj", "proj/.venv", "proj/.venv/bin", "sys"}) Mkdir(d);
    Command("sys/git");
    Command("sys/pip");
    Command("sys/make");
    Command("proj/.venv/bin/pip");
    Command("proj/.venv/bin/python");
  }
  void Command(const std::string& rel, const std::string& text = "#!/bin/sh\n",
               mode_t mode = 0755) {
    std::string path = dir_ + "/" + rel;
    ::unlink(path.c_str());
    std::ofstream(path) << text;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0) << rel;
  }
  static WatchedSearchPath Commands(std::vector<std::string> dirs, const std::string& writable) {
    WatchedSearchPath search;
    search.dirs = std::move(dirs);
    search.watched = WatchPathDirs(search.dirs, {writable}, {});
    return search;
  }
};

TEST_F(PathWatchTest, SearchPathReadsEmptyDotAndRelativeEntriesAgainstTheWorkingDirectory) {
  std::string proj = dir_ + "/proj";
  std::string path = ":.:.venv/bin:" + dir_ + "/sys/:" + proj + "/missing/bin/../bin";
  std::vector<std::string> dirs = SearchPath(path.c_str(), proj);
  ASSERT_EQ(dirs.size(), 5u);
  EXPECT_EQ(dirs[0], proj);
  EXPECT_EQ(dirs[1], proj);
  EXPECT_EQ(dirs[2], proj + "/.venv/bin");
  EXPECT_EQ(dirs[3], dir_ + "/sys");
  EXPECT_EQ(dirs[4], proj + "/missing/bin");  // absent: where the job would have to make it
  EXPECT_TRUE(SearchPath(nullptr, proj).empty());
}

TEST_F(PathWatchTest, OnlyDirectoriesTheJobCanWriteAreWatched) {
  std::string proj = dir_ + "/proj";
  std::vector<std::string> path = {proj + "/.venv/bin", proj + "/bin", dir_ + "/sys"};
  auto watched = WatchPathDirs(path, {proj}, {});
  ASSERT_EQ(watched.size(), 2u);
  EXPECT_EQ(watched[0].dir, proj + "/.venv/bin");
  EXPECT_TRUE(watched[0].existed);
  EXPECT_EQ(watched[0].entries.size(), 2u);
  EXPECT_EQ(watched[1].position, 1u);
  EXPECT_FALSE(watched[1].existed);
  // --protect .venv binds it read-only: nothing there to watch.
  watched = WatchPathDirs(path, {proj}, {proj + "/.venv"});
  ASSERT_EQ(watched.size(), 1u);
  EXPECT_EQ(watched[0].dir, proj + "/bin");
}

TEST_F(PathWatchTest, PlantedAndChangedCommandsThatHideTheSystemsAreFound) {
  std::string proj = dir_ + "/proj";
  std::string venv = proj + "/.venv/bin";
  WatchedSearchPath path = Commands({venv, proj + "/bin", dir_ + "/sys"}, proj);
  EXPECT_TRUE(FindPathShadows(path).empty());  // nothing changed yet

  Command("proj/.venv/bin/git", "#!/bin/sh\necho planted\n");  // hides sys/git
  Command("proj/.venv/bin/pip", "#!/bin/sh\necho changed\n");  // rewrites the venv's pip
  Command("proj/.venv/bin/pytest");                            // a new command: hides nothing
  // Never followed in the job's directory (it could name a hung network mount): a symlink
  // counts as the command the shell would run through it.
  Command("sys/ssh");
  ASSERT_EQ(::symlink("/nonexistent/hung/mount", (venv + "/ssh").c_str()), 0);
  Command("proj/.venv/bin/make", "not run\n", 0644);  // not executable
  ASSERT_EQ(::mkdir((proj + "/bin").c_str(), 0755), 0);
  Command("proj/bin/make");  // in a directory that was absent
  std::vector<PathShadow> found = FindPathShadows(path);
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[0].kind, SearchKind::kCommands);
  EXPECT_EQ(found[0].path, venv + "/git");
  EXPECT_EQ(found[0].shadows, dir_ + "/sys/git");
  EXPECT_EQ(found[0].change, "created");
  EXPECT_EQ(found[1].path, venv + "/pip");
  EXPECT_EQ(found[1].shadows, dir_ + "/sys/pip");
  EXPECT_EQ(found[1].change, "changed");
  EXPECT_EQ(found[2].path, venv + "/ssh");
  EXPECT_EQ(found[2].shadows, dir_ + "/sys/ssh");
  EXPECT_EQ(found[3].path, proj + "/bin/make");
  EXPECT_EQ(found[3].shadows, dir_ + "/sys/make");
  EXPECT_EQ(found[3].change, "created");
}

TEST_F(PathWatchTest, ACommandAnEarlierDirectoryAlreadyHasIsNotReached) {
  std::string proj = dir_ + "/proj";
  WatchedSearchPath path = Commands({dir_ + "/sys", proj + "/.venv/bin"}, proj);
  ASSERT_EQ(path.watched.size(), 1u);
  Command("proj/.venv/bin/git");
  EXPECT_TRUE(FindPathShadows(path).empty());
}

TEST_F(PathWatchTest, ADirectoryReplacedByASymlinkIsNamedNotFollowed) {
  std::string proj = dir_ + "/proj";
  std::string venv = proj + "/.venv/bin";
  WatchedSearchPath path = Commands({venv, dir_ + "/sys"}, proj);
  ASSERT_EQ(::mkdir((proj + "/evil").c_str(), 0755), 0);
  Command("proj/evil/pip");  // the same name as before, in the job's directory
  ASSERT_EQ(::rename(venv.c_str(), (venv + ".old").c_str()), 0);
  ASSERT_EQ(::symlink("../evil", venv.c_str()), 0);
  std::vector<PathShadow> found = FindPathShadows(path);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, venv);
  EXPECT_EQ(found[0].shadows, "");
  EXPECT_EQ(found[0].change, "replaced");
  EXPECT_EQ(Warning(found[0]), "the job replaced " + venv +
                                   ", on your PATH, with a symlink: what is found there is the "
                                   "job's choice; look before you use that PATH again");
}

// A job that fills a watched directory cannot make the check unbounded: the directory is
// named instead.
TEST_F(PathWatchTest, ADirectoryFilledPastTheBoundIsNamedNotChecked) {
  std::string proj = dir_ + "/proj";
  WatchedSearchPath path = Commands({proj + "/.venv/bin", dir_ + "/sys"}, proj);
  std::string bin = proj + "/.venv/bin/";
  for (size_t i = 0; i <= kMaxPathDirEntries; ++i) {
    ASSERT_EQ(::mknod((bin + std::to_string(i)).c_str(), S_IFREG | 0644, 0), 0);
  }
  std::vector<PathShadow> found = FindPathShadows(path);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].path, proj + "/.venv/bin");
  EXPECT_EQ(found[0].change, "unchecked");
  EXPECT_NE(Warning(found[0]).find("more than 65536 entries in " + proj +
                                   "/.venv/bin, on your "
                                   "PATH: they were not checked"),
            std::string::npos);
}

// LD_LIBRARY_PATH=build/lib: the loader takes the job's libc.so.6 there for every program
// started from that shell. Only files named like shared libraries count, executable or not.
TEST_F(PathWatchTest, ALibraryPlantedOnTheLibraryPathIsFound) {
  std::string proj = dir_ + "/proj";
  ASSERT_EQ(::mkdir((proj + "/lib").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir_ + "/syslib").c_str(), 0755), 0);
  Command("syslib/libc.so.6", "elf", 0644);
  Command("syslib/libz.so", "elf", 0644);
  Command("proj/lib/libproject.so.1", "elf", 0644);
  WatchedSearchPath search;
  search.kind = SearchKind::kLibraries;
  search.dirs = {proj + "/lib", dir_ + "/syslib"};
  search.watched = WatchPathDirs(search.dirs, {proj}, {});
  Command("proj/lib/libc.so.6", "planted", 0644);
  Command("proj/lib/libz.so", "planted", 0644);
  Command("proj/lib/libproject.so.1", "rebuilt", 0644);  // hides nothing
  Command("proj/lib/libc.so.6.txt", "notes", 0644);      // not a library's name
  std::vector<PathShadow> found = FindPathShadows(search);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].kind, SearchKind::kLibraries);
  EXPECT_EQ(found[0].path, proj + "/lib/libc.so.6");
  EXPECT_EQ(found[0].shadows, dir_ + "/syslib/libc.so.6");
  EXPECT_EQ(found[1].path, proj + "/lib/libz.so");
  EXPECT_FALSE(DefaultLibraryDirs().empty());
}

}  // namespace
}  // namespace sandbox::workspace

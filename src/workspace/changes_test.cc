// The change list on hand-made upper and lower trees laid out as overlayfs leaves them in a
// user namespace (whiteouts as 0/0 character devices, user.overlay.opaque on replaced dirs).
#include "workspace/changes.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "common/scratch_dir_test.h"
#include "common/unique_fd.h"
#include "report/sha256.h"

namespace sandbox::workspace {
namespace {

class ChangesTest : public ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    Mkdir("lower");
    Mkdir("upper");
  }
  void Whiteout(const std::string& rel) {
    ASSERT_EQ(::mknod((dir_ + "/" + rel).c_str(), S_IFCHR | 0, makedev(0, 0)), 0) << rel;
  }
  std::map<std::string, Change> List(std::vector<std::string> protect = {}) {
    UniqueFd upper(::open((dir_ + "/upper").c_str(), O_RDONLY | O_DIRECTORY));
    UniqueFd lower(::open((dir_ + "/lower").c_str(), O_RDONLY | O_DIRECTORY));
    auto listed = ListChanges(upper.get(), lower.get(), protect);
    EXPECT_TRUE(listed) << listed.error().ToString();
    std::map<std::string, Change> by_path;
    if (listed) {
      for (Change& c : *listed) by_path[c.path] = c;
    }
    return by_path;
  }
};

TEST_F(ChangesTest, AddedModifiedDeletedAndUnchangedCopyUps) {
  Write("lower/a", "one\n");
  Write("lower/b", "bee\n");
  Write("lower/same", "same\n");
  Write("lower/tool", "#!/bin/sh\n");
  Write("upper/a", "two\n");                 // modified
  Whiteout("upper/b");                       // deleted
  Write("upper/same", "same\n");             // copied up, nothing changed
  Write("upper/tool", "#!/bin/sh\n", 0755);  // chmod +x only
  Write("upper/new", "new\n");
  Whiteout("upper/gone-anyway");  // the job made and removed it: no change
  auto c = List();
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c["a"].change, "modified");
  EXPECT_EQ(c["a"].sha256, report::Sha256Hex("two\n"));
  EXPECT_EQ(c["a"].base_sha256, report::Sha256Hex("one\n"));
  EXPECT_EQ(c["a"].size, 4u);
  EXPECT_TRUE(c["a"].flags.empty());
  EXPECT_EQ(c["b"].change, "deleted");
  EXPECT_EQ(c["b"].type, "file");
  EXPECT_EQ(c["b"].base_sha256, report::Sha256Hex("bee\n"));
  EXPECT_EQ(c["tool"].change, "modified");
  EXPECT_EQ(c["tool"].mode, 0755u);
  EXPECT_EQ(c["tool"].flags, std::vector<std::string>{"exec"});
  EXPECT_EQ(c["new"].change, "added");
  EXPECT_EQ(c["new"].mode, 0644u);
  EXPECT_EQ(c.count("same"), 0u);
  EXPECT_EQ(Summary({c["a"], c["b"], c["new"], c["tool"]}),
            "3 files changed, 1 deleted; 1 sensitive: tool (modified)");
}

TEST_F(ChangesTest, OpaqueDirectoryDeletesWhatItHid) {
  Mkdir("lower/d");
  Write("lower/d/x", "x");
  Write("lower/d/y", "y");
  Mkdir("upper/d");
  ASSERT_EQ(::setxattr((dir_ + "/upper/d").c_str(), "user.overlay.opaque", "y", 1, 0), 0);
  Write("upper/d/y", "y");  // recreated, same
  Write("upper/d/z", "z");
  Mkdir("upper/fresh");
  Write("upper/fresh/f", "f");
  auto c = List();
  ASSERT_EQ(c.size(), 4u) << testing::PrintToString(c.size());
  EXPECT_EQ(c["d/x"].change, "deleted");
  EXPECT_EQ(c["d/z"].change, "added");
  EXPECT_EQ(c["fresh"].change, "added");
  EXPECT_EQ(c["fresh"].type, "dir");
  EXPECT_EQ(c["fresh/f"].change, "added");
}

TEST_F(ChangesTest, SensitiveEntriesAreFlagged) {
  Mkdir("lower/.git");
  Mkdir("upper/.git");
  Mkdir("upper/.git/hooks");
  Write("upper/.git/hooks/pre-commit", "#!/bin/sh\n", 0755);
  Write("upper/.envrc", "export X=1\n");
  Write("upper/suid", "x", 04755);
  Write("upper/sgid", "x", 02644);
  Write("upper/listed", "x");
  Mkdir("upper/.config");
  Write("upper/.config/lefthook-local.yml", "lefthook: x\n");
  Write("upper/.config/other.yml", "x");
  ASSERT_EQ(::symlink("/home/u/.ssh", (dir_ + "/upper/out").c_str()), 0);
  ASSERT_EQ(::symlink("../../x", (dir_ + "/upper/.git/up").c_str()), 0);
  ASSERT_EQ(::symlink("a/../b", (dir_ + "/upper/in").c_str()), 0);
  Write("upper/linked", "x");
  ASSERT_EQ(::link((dir_ + "/upper/linked").c_str(), (dir_ + "/upper/linked2").c_str()), 0);
  ASSERT_EQ(::mkfifo((dir_ + "/upper/fifo").c_str(), 0644), 0);
  Mkdir("upper/__pycache__");
  Write("upper/__pycache__/mod.cpython-311.pyc", "forged");
  Write("upper/pytest.pyc", "imported by python -m pytest");
  auto c = List({"listed"});
  EXPECT_EQ(c["__pycache__/mod.cpython-311.pyc"].flags, std::vector<std::string>{"bytecode"});
  EXPECT_EQ(c["pytest.pyc"].flags, std::vector<std::string>{"bytecode"});
  EXPECT_TRUE(c["__pycache__"].flags.empty());
  EXPECT_EQ(c["out"].flags, std::vector<std::string>{"symlink-outside"});
  EXPECT_EQ(c["out"].link, "/home/u/.ssh");
  EXPECT_EQ(c["out"].type, "symlink");
  EXPECT_EQ(c[".git/up"].flags, (std::vector<std::string>{"vcs", "symlink-outside"}));
  EXPECT_TRUE(c["in"].flags.empty());
  EXPECT_EQ(c[".git/hooks/pre-commit"].flags, (std::vector<std::string>{"vcs", "exec"}));
  EXPECT_EQ(c[".envrc"].flags, std::vector<std::string>{"protected"});
  EXPECT_EQ(c["listed"].flags, std::vector<std::string>{"protected"});
  EXPECT_EQ(c[".config/lefthook-local.yml"].flags, std::vector<std::string>{"protected"});
  EXPECT_TRUE(c[".config/other.yml"].flags.empty());
  EXPECT_EQ(c["suid"].flags, (std::vector<std::string>{"exec", "setuid"}));
  EXPECT_EQ(c["sgid"].flags, std::vector<std::string>{"setgid"});
  EXPECT_EQ(c["linked"].flags, std::vector<std::string>{"hardlink"});
  EXPECT_EQ(c["fifo"].flags, std::vector<std::string>{"special"});
  EXPECT_EQ(c["fifo"].type, "fifo");
}

TEST(LinkEscapesTest, Lexically) {
  EXPECT_TRUE(LinkEscapes("a", "/etc/passwd"));
  EXPECT_TRUE(LinkEscapes("a", ".."));
  EXPECT_TRUE(LinkEscapes("d/a", "../../x"));
  EXPECT_TRUE(LinkEscapes("d/a", "x/../../../y"));
  EXPECT_FALSE(LinkEscapes("d/a", "../x"));
  EXPECT_FALSE(LinkEscapes("a", "b/./c"));
  EXPECT_FALSE(LinkEscapes("a", "b/../c"));
}

TEST(SummaryTest, NoChangesAndManySensitive) {
  EXPECT_EQ(Summary({}), "no changes to the workspace");
  std::vector<Change> many;
  for (int i = 0; i < 7; ++i) {
    Change c;
    c.path = ".git/h" + std::to_string(i);
    c.change = "added";
    c.type = "file";
    c.flags = {"vcs"};
    many.push_back(c);
  }
  EXPECT_EQ(Summary(many),
            "7 files changed; 7 sensitive: .git/h0 (added), .git/h1 (added), .git/h2 (added), "
            ".git/h3 (added), .git/h4 (added) and 2 more");
  // Bytecode is counted, not named among the sensitive entries (pytest writes dozens).
  Change pyc;
  pyc.path = "__pycache__/m.cpython-311.pyc";
  pyc.change = "added";
  pyc.type = "file";
  pyc.flags = {"bytecode"};
  Change hook = many[0];
  EXPECT_EQ(Summary({pyc, hook}),
            "2 files changed (1 of them Python bytecode); 1 sensitive: .git/h0 (added)");
}

}  // namespace
}  // namespace sandbox::workspace

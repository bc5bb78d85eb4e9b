// Apply and the patch as an attacker would test them: a change list and an upper dir made by a
// hostile job (or a checkout the host changed meanwhile) must never write outside the
// checkout, create a device or setuid file, or touch a sensitive path unless asked.
#include "workspace/apply.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "common/scratch_dir_test.h"
#include "common/unique_fd.h"
#include "report/sha256.h"
#include "workspace/patch.h"

namespace sandbox::workspace {
namespace {

class ApplyTest : public ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    for (const char* d : {"checkout", "upper", "outside"}) Mkdir(d);
  }
  std::string Read(const std::string& rel) {
    std::ifstream in(dir_ + "/" + rel);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  bool Exists(const std::string& rel) {
    struct stat st {};
    return ::lstat((dir_ + "/" + rel).c_str(), &st) == 0;
  }
  std::vector<Change> List() {
    UniqueFd upper(::open((dir_ + "/upper").c_str(), O_RDONLY | O_DIRECTORY));
    UniqueFd lower(::open((dir_ + "/checkout").c_str(), O_RDONLY | O_DIRECTORY));
    auto listed = ListChanges(upper.get(), lower.get(), {});
    EXPECT_TRUE(listed);
    return listed ? *listed : std::vector<Change>{};
  }
  Result<ApplyResult> Run(const std::vector<Change>& changes, bool include_protected = false,
                          std::vector<std::string> paths = {}) {
    UniqueFd checkout(::open((dir_ + "/checkout").c_str(), O_PATH | O_DIRECTORY));
    UniqueFd upper(::open((dir_ + "/upper").c_str(), O_RDONLY | O_DIRECTORY));
    ApplyRequest request{checkout.get(), upper.get(), std::move(paths), include_protected};
    return Apply(changes, request);
  }
  static std::string Joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }
};

TEST_F(ApplyTest, AppliesWhatTheJobDidAtomically) {
  Write("checkout/a", "one\n");
  Write("checkout/gone", "x\n");
  Write("upper/a", "two\n", 0600);
  ASSERT_EQ(::mknod((dir_ + "/upper/gone").c_str(), S_IFCHR, makedev(0, 0)), 0);
  ASSERT_EQ(::mkdir((dir_ + "/upper/d").c_str(), 0750), 0);
  Write("upper/d/new", "new\n");
  ASSERT_EQ(::symlink("../a", (dir_ + "/upper/d/link").c_str()), 0);
  auto result = Run(List());
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(Joined(result->refused) + Joined(result->conflicts), "");
  EXPECT_EQ(Read("checkout/a"), "two\n");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/checkout/a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_FALSE(Exists("checkout/gone"));
  EXPECT_EQ(Read("checkout/d/new"), "new\n");
  char link[64] = {};
  ASSERT_GT(::readlink((dir_ + "/checkout/d/link").c_str(), link, sizeof(link)), 0);
  EXPECT_STREQ(link, "../a");
  // No temporary left behind.
  std::string cmd = "test -z \"$(find '" + dir_ + "/checkout' -name '*.sandbox-apply-*')\"";
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

TEST_F(ApplyTest, APlantedSymlinkInTheCheckoutIsNeverFollowed) {
  // The host's checkout got `src -> outside` after the run; the change list adds src/x.
  ASSERT_EQ(::mkdir((dir_ + "/checkout/src").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir_ + "/upper/src").c_str(), 0755), 0);
  Write("upper/src/x", "owned\n");
  std::vector<Change> changes = List();
  ASSERT_EQ(::rmdir((dir_ + "/checkout/src").c_str()), 0);
  ASSERT_EQ(::symlink((dir_ + "/outside").c_str(), (dir_ + "/checkout/src").c_str()), 0);
  auto result = Run(changes, /*include_protected=*/true);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(Joined(result->conflicts),
            "src/x: conflict: a symlink or file on the way in the checkout\n");
  EXPECT_FALSE(Exists("outside/x"));
}

TEST_F(ApplyTest, ASymlinkTheJobMadeIsNeverWrittenThrough) {
  // A forged list: src is a symlink out of the checkout, then src/x a file whose content the
  // source has at a real src/x.
  ASSERT_EQ(::mkdir((dir_ + "/upper/src").c_str(), 0755), 0);
  Write("upper/src/x", "owned\n");
  Change link;
  link.path = "src";
  link.change = "added";
  link.type = "symlink";
  link.link = dir_ + "/outside";
  link.flags = {"symlink-outside"};
  Change file;
  file.path = "src/x";
  file.change = "added";
  file.type = "file";
  file.mode = 0644;
  file.size = 6;
  file.sha256 = report::Sha256Hex("owned\n");
  auto refused = Run({link, file});
  ASSERT_TRUE(refused);
  EXPECT_EQ(Joined(refused->refused),
            "src: refused: symlink-outside (--include-protected applies it)\n"
            "src/x: refused: below a refused directory\n");
  EXPECT_FALSE(Exists("outside/x"));
  // Even asked to apply sensitive changes, src/x is never written through the new link.
  auto forced = Run({link, file}, /*include_protected=*/true);
  EXPECT_FALSE(forced);
  EXPECT_FALSE(Exists("outside/x"));
}

TEST_F(ApplyTest, DevicesSetuidAndVcsAreRefusedAndNamed) {
  Change device;
  device.path = "dev";
  device.change = "added";
  device.type = "device";
  device.flags = {"device"};
  Write("upper/suid", "x", 04755);
  ASSERT_EQ(::mkdir((dir_ + "/checkout/.git").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir_ + "/upper/.git").c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir_ + "/upper/.git/hooks").c_str(), 0755), 0);
  Write("upper/.git/hooks/pre-commit", "#!/bin/sh\n", 0755);
  Write("upper/plain", "ok\n");
  Write("upper/mod.pyc", "forged");
  std::vector<Change> changes = List();
  changes.push_back(device);
  auto result = Run(changes);
  ASSERT_TRUE(result);
  std::string refused = Joined(result->refused);
  EXPECT_NE(refused.find("dev: refused: device (never applied)"), std::string::npos) << refused;
  EXPECT_NE(refused.find("suid: refused: setuid (never applied)"), std::string::npos) << refused;
  EXPECT_NE(refused.find(".git/hooks: refused: vcs (--include-protected applies it)"),
            std::string::npos)
      << refused;
  EXPECT_NE(refused.find(".git/hooks/pre-commit: refused: vcs"), std::string::npos) << refused;
  EXPECT_EQ(refused.find("mod.pyc"), std::string::npos) << refused;  // skipped, not refused
  EXPECT_EQ(result->skipped, std::vector<std::string>{"mod.pyc"});
  EXPECT_FALSE(Exists("checkout/mod.pyc"));
  EXPECT_FALSE(Exists("checkout/dev"));
  EXPECT_FALSE(Exists("checkout/suid"));
  EXPECT_FALSE(Exists("checkout/.git/hooks"));
  EXPECT_EQ(Read("checkout/plain"), "ok\n");
  // Asked for: the hook and the bytecode are applied; setuid and devices never are.
  result = Run(changes, /*include_protected=*/true, {".git", "suid", "dev", "mod.pyc"});
  ASSERT_TRUE(result);
  EXPECT_EQ(Joined(result->conflicts), "");
  EXPECT_EQ(Read("checkout/.git/hooks/pre-commit"), "#!/bin/sh\n");
  EXPECT_EQ(Read("checkout/mod.pyc"), "forged");
  EXPECT_FALSE(Exists("checkout/suid"));
  EXPECT_FALSE(Exists("checkout/dev"));
}

TEST_F(ApplyTest, AFileEditedOnTheHostMeanwhileStopsEverything) {
  Write("checkout/a", "one\n");
  Write("checkout/b", "bee\n");
  Write("upper/a", "job\n");
  Write("upper/b", "job b\n");
  Write("upper/c", "new\n");
  std::vector<Change> changes = List();
  Write("checkout/a", "edited by the user\n");
  auto result = Run(changes);
  ASSERT_TRUE(result);
  EXPECT_EQ(Joined(result->conflicts), "a: conflict: changed in the checkout since the run\n");
  EXPECT_TRUE(result->applied.empty());
  EXPECT_EQ(Read("checkout/a"), "edited by the user\n");
  EXPECT_EQ(Read("checkout/b"), "bee\n");
  EXPECT_FALSE(Exists("checkout/c"));
  // Only the paths asked for: b and c, which do not conflict.
  result = Run(changes, false, {"b", "c"});
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->conflicts.empty());
  EXPECT_EQ(Read("checkout/b"), "job b\n");
  EXPECT_EQ(Read("checkout/c"), "new\n");
}

TEST_F(ApplyTest, ForgedPathsAreRefused) {
  Change c;
  c.change = "added";
  c.type = "file";
  for (const char* path : {"../x", "/etc/x", "a/../../x", "a//b", "./x"}) {
    c.path = path;
    auto result = Run({c}, true);
    ASSERT_TRUE(result);
    EXPECT_EQ(Joined(result->refused),
              std::string(path) + ": refused: not a plain path beneath the checkout\n");
  }
}

TEST(UnifiedHunksTest, ContextAndMissingNewline) {
  EXPECT_EQ(UnifiedHunks("a\nb\nc\nd\ne\nf\n", "a\nb\nc\nd\nE\nf\n"),
            "@@ -2,5 +2,5 @@\n b\n c\n d\n-e\n+E\n f\n");
  EXPECT_EQ(UnifiedHunks("", "x"), "@@ -0,0 +1,1 @@\n+x\n\\ No newline at end of file\n");
  EXPECT_EQ(UnifiedHunks("x\n", ""), "@@ -1,1 +0,0 @@\n-x\n");
  EXPECT_EQ(UnifiedHunks("same\n", "same\n"), "");
}

}  // namespace
}  // namespace sandbox::workspace

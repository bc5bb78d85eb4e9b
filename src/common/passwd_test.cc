#include "common/passwd.h"

#include <gtest/gtest.h>

#include "common/scratch_dir_test.h"

namespace sandbox {
namespace {

class PasswdTest : public ScratchDirTest {
 protected:
  std::string File(const std::string& text) {
    Write("passwd", text);
    return dir_ + "/passwd";
  }
};

TEST_F(PasswdTest, FindsTheEntryOfTheUid) {
  std::string path = File(
      "root:x:0:0:root:/root:/bin/bash\n"
      "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
      "bob:x:1001:1001::/srv/bob:/bin/sh\n");
  auto alice = PasswdEntryOf(1000, path.c_str());
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->home, "/home/alice");
  auto bob = PasswdEntryOf(1001, path.c_str());
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->home, "/srv/bob");
  EXPECT_FALSE(PasswdEntryOf(1002, path.c_str()));
}

TEST_F(PasswdTest, TheFirstEntryWinsAndBrokenLinesAreSkipped) {
  std::string path = File(
      "garbage without colons\n"
      "carol:x:notanumber:1:::\n"
      "\n"
      "carol:x:1200:1200::/home/carol:/bin/sh\n"
      "carol2:x:1200:1200::/home/other:/bin/sh\n");
  auto carol = PasswdEntryOf(1200, path.c_str());
  ASSERT_TRUE(carol);
  EXPECT_EQ(carol->name, "carol");
  EXPECT_EQ(carol->home, "/home/carol");
}

TEST_F(PasswdTest, AnEntryLongerThanTheFirstBufferIsReadWhole) {
  std::string home = "/home/" + std::string(5000, 'h');
  std::string path = File("dave:x:1300:1300::" + home + ":/bin/sh\n");
  auto dave = PasswdEntryOf(1300, path.c_str());
  ASSERT_TRUE(dave);
  EXPECT_EQ(dave->home, home);
}

TEST_F(PasswdTest, AMissingFileIsNoEntry) {
  EXPECT_FALSE(PasswdEntryOf(0, (dir_ + "/absent").c_str()));
}

TEST(PasswdSystemTest, RootIsInTheSystemsPasswdFile) {
  auto root = PasswdEntryOf(0);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->name, "root");
}

}  // namespace
}  // namespace sandbox

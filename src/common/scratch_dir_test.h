// For unit tests that work on a real tree: a private directory under /tmp, made before each
// test (canonical, so paths compare with what realpath returns) and removed with everything
// in it after. Test-only.
#ifndef SANDBOX_COMMON_SCRATCH_DIR_TEST_H_
#define SANDBOX_COMMON_SCRATCH_DIR_TEST_H_

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/canonical_path.h"

namespace sandbox {

class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sandbox-unit-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = CanonicalPath(tmpl);
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    if (dir_.empty()) return;
    ASSERT_EQ(std::system(("rm -rf '" + dir_ + "'").c_str()), 0);
  }
  /// Makes `rel` (its parent must exist).
  void Mkdir(const std::string& rel, mode_t mode = 0755) {
    ASSERT_EQ(::mkdir((dir_ + "/" + rel).c_str(), mode), 0) << rel;
  }
  /// Writes `text` to `rel`, replacing it, with `mode`.
  void Write(const std::string& rel, const std::string& text, mode_t mode = 0644) {
    std::string path = dir_ + "/" + rel;
    std::ofstream(path) << text;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0) << rel;
  }

  std::string dir_;
};

}  // namespace sandbox

#endif  // SANDBOX_COMMON_SCRATCH_DIR_TEST_H_

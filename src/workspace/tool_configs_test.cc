// The tool-configuration check after a run (tool_configs.h) on a private temporary tree.
#include "workspace/tool_configs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/scratch_dir_test.h"

namespace sandbox::workspace {
namespace {

class ToolConfigsTest : public ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    Mkdir("proj");
    Mkdir("proj/sub");
    Write("proj/.npmrc", "registry=https://registry.npmjs.org/\n");
    Write("proj/.yarnrc.yml", "nodeLinker: node-modules\n");
  }
  std::string Found(const std::vector<ToolConfigChange>& changes) {
    std::string out;
    for (const ToolConfigChange& c : changes) {
      out += c.path.substr(dir_.size() + 1) + " " + std::string(c.config->tool) + " " + c.change +
             "\n";
    }
    return out;
  }
};

TEST_F(ToolConfigsTest, NothingTouchedIsNothingFound) {
  auto before = SnapshotToolConfigs({dir_ + "/proj", dir_ + "/proj/sub"});
  EXPECT_EQ(before.size(), 2 * std::size(kToolConfigs));
  std::ifstream(dir_ + "/proj/.npmrc").get();  // read, not changed
  EXPECT_EQ(Found(FindToolConfigChanges(before)), "");
}

// Created (a file, or a symlink, never followed), written in place, replaced by another
// file, or only chmod'ed: each is named; a removed one is not (the tool runs without it).
TEST_F(ToolConfigsTest, CreatedAndChangedConfigurationIsNamed) {
  Write("proj/.pdbrc", "p 1\n");
  auto before = SnapshotToolConfigs({dir_ + "/proj", dir_ + "/proj/sub", dir_ + "/proj"});
  EXPECT_EQ(before.size(), 2 * std::size(kToolConfigs)) << "a directory given twice is one";
  ASSERT_EQ(::mkdir((dir_ + "/proj/sub/.cargo").c_str(), 0755), 0);
  Write("proj/sub/.cargo/config.toml", "[build]\nrustc-wrapper = \"./w\"\n");
  ASSERT_EQ(::symlink("/nonexistent", (dir_ + "/proj/rust-toolchain.toml").c_str()), 0);
  Write("proj/.npmrc", "node-options=--require ./x.js\n");
  Write("proj/.yarnrc.yml.new", "yarnPath: ./x.js\n");
  ASSERT_EQ(
      ::rename((dir_ + "/proj/.yarnrc.yml.new").c_str(), (dir_ + "/proj/.yarnrc.yml").c_str()), 0);
  ASSERT_EQ(::chmod((dir_ + "/proj/.pdbrc").c_str(), 0600), 0);
  auto found = FindToolConfigChanges(before);
  EXPECT_EQ(Found(found),
            "proj/.npmrc npm changed\nproj/.yarnrc.yml yarn changed\n"
            "proj/rust-toolchain.toml rustup created\nproj/.pdbrc pdb changed\n"
            "proj/sub/.cargo/config.toml cargo created\n");
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(Warning(found.back()),
            "the job created " + dir_ +
                "/proj/sub/.cargo/config.toml, which cargo reads at its next start there "
                "(rustc-wrapper, runner, linker can name a program it runs); review it before "
                "running cargo outside the sandbox, or --protect it");
  auto again = SnapshotToolConfigs({dir_ + "/proj"});
  ASSERT_EQ(::unlink((dir_ + "/proj/.npmrc").c_str()), 0);
  EXPECT_EQ(Found(FindToolConfigChanges(again)), "");
}

}  // namespace
}  // namespace sandbox::workspace

#include "policy/hidden_from_job.h"

#include <gtest/gtest.h>

namespace sandbox::policy {
namespace {

MountOp Op(MountKind kind, std::string source, std::string target) {
  MountOp op;
  op.kind = kind;
  op.source = std::move(source);
  op.target = std::move(target);
  return op;
}

TEST(HiddenFromJobTest, ABindAtOrAboveTheDirectoryShowsIt) {
  std::vector<MountOp> mounts = {Op(MountKind::kBind, "/home/u/src", "/home/u/src")};
  EXPECT_FALSE(CheckHiddenFromJob(mounts, "/home/u/src"));
  auto beneath = CheckHiddenFromJob(mounts, "/home/u/src/reports");
  ASSERT_FALSE(beneath);
  EXPECT_NE(beneath.error().ToString().find(
                "the report directory /home/u/src/reports is visible to the job through "
                "/home/u/src -> /home/u/src"),
            std::string::npos);
  // A sibling sharing the prefix is another directory.
  EXPECT_TRUE(CheckHiddenFromJob(mounts, "/home/u/src2/reports"));
  EXPECT_TRUE(CheckHiddenFromJob(mounts, "/home/u"));
}

TEST(HiddenFromJobTest, ReadOnlyBindsOfTheRootAndOverlayLayersCountToo) {
  EXPECT_FALSE(CheckHiddenFromJob({Op(MountKind::kReadOnlyBind, "/", "/")}, "/var/reports"));
  MountOp overlay = Op(MountKind::kOverlay, "", "/w");
  overlay.layers = {"/srv/lower"};
  overlay.upper = "/srv/upper";
  EXPECT_FALSE(CheckHiddenFromJob({overlay}, "/srv/lower/r"));
  EXPECT_FALSE(CheckHiddenFromJob({overlay}, "/srv/upper"));
  EXPECT_TRUE(CheckHiddenFromJob({overlay}, "/srv/reports"));
  // Mounts made by the sandbox itself carry nothing of the host.
  EXPECT_TRUE(CheckHiddenFromJob({Op(MountKind::kTmpfs, "", "/tmp")}, "/tmp"));
}

}  // namespace
}  // namespace sandbox::policy

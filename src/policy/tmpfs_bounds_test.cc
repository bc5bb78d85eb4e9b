#include "policy/tmpfs_bounds.h"

#include <gtest/gtest.h>

namespace sandbox::policy {
namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
constexpr uint64_t kMiB = uint64_t{1} << 20;

MountOp Op(MountKind kind, std::string target, std::optional<uint64_t> size = std::nullopt) {
  MountOp op;
  op.kind = kind;
  op.target = std::move(target);
  op.size_bytes = size;
  op.origin.file = std::string("--") + MountKindName(kind) + " " + op.target;
  return op;
}

TEST(TmpfsBoundsTest, UnsizedMountsAndShmGetAQuarterOfRamCappedAndSharingTheTotal) {
  std::vector<MountOp> ops = {Op(MountKind::kTmpfs, "/tmp"), Op(MountKind::kDev, "/dev")};
  TmpfsPlan plan;
  ASSERT_TRUE(BoundTmpfsMounts({}, 4 * kGiB, &ops, &plan));
  EXPECT_EQ(ops[0].size_bytes, 1 * kGiB);  // a quarter of 4 GiB
  EXPECT_EQ(ops[1].size_bytes, 1 * kGiB);  // /dev's shm
  EXPECT_EQ(plan.total, 2 * kGiB);
  EXPECT_TRUE(plan.bounded);
  EXPECT_EQ(plan.own_bytes, 4 * kMiB);

  // 64 GiB: the caps, 4 GiB each and 8 GiB in all; a third unsized mount shares the total.
  ops = {Op(MountKind::kTmpfs, "/tmp"), Op(MountKind::kDev, "/dev"), Op(MountKind::kTmpfs, "/w")};
  ASSERT_TRUE(BoundTmpfsMounts({}, 64 * kGiB, &ops, &plan));
  uint64_t third = (8 * kGiB / 3) / 4096 * 4096;
  for (const MountOp& op : ops) EXPECT_EQ(op.size_bytes, third) << op.target;
}

TEST(TmpfsBoundsTest, SizesAskedForCountAgainstTheTotal) {
  std::vector<MountOp> ops = {Op(MountKind::kTmpfs, "/big", 7 * kGiB), Op(MountKind::kDev, "/dev")};
  TmpfsPlan plan;
  ASSERT_TRUE(BoundTmpfsMounts({}, 64 * kGiB, &ops, &plan));
  EXPECT_EQ(ops[1].size_bytes, 1 * kGiB);  // what the total leaves
  ops = {Op(MountKind::kTmpfs, "/big", 9 * kGiB)};
  auto r = BoundTmpfsMounts({}, 64 * kGiB, &ops, &plan);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ToString(),
            "the tmpfs sizes add up to more than the total of 8G for tmpfs mounts (--tmpfs /big); "
            "give smaller sizes, or raise the total with --limit tmpfs_total=SIZE ([limits] "
            "tmpfs_total in a profile)");
  TmpfsRequest raised;
  raised.total = 16 * kGiB;
  EXPECT_TRUE(BoundTmpfsMounts(raised, 64 * kGiB, &ops, &plan));
}

TEST(TmpfsBoundsTest, SizeZeroIsRefusedForItMeansUnbounded) {
  std::vector<MountOp> ops = {Op(MountKind::kTmpfs, "/tmp", 0)};
  TmpfsPlan plan;
  EXPECT_FALSE(BoundTmpfsMounts({}, 4 * kGiB, &ops, &plan));
  TmpfsRequest zero;
  zero.size = 0;
  ops = {Op(MountKind::kTmpfs, "/tmp")};
  EXPECT_FALSE(BoundTmpfsMounts(zero, 4 * kGiB, &ops, &plan));
}

TEST(TmpfsBoundsTest, ALaterTmpfsOfTheSameTargetReplacesTheEarlierInPlace) {
  std::vector<MountOp> ops = {Op(MountKind::kTmpfs, "/tmp", kGiB),
                              Op(MountKind::kBind, "/tmp/.cache"), Op(MountKind::kProc, "/proc"),
                              Op(MountKind::kTmpfs, "/tmp", 64 * kMiB)};
  MergeTmpfsRedefinitions(&ops);
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0].target, "/tmp");
  EXPECT_EQ(ops[0].size_bytes, 64 * kMiB);
  EXPECT_EQ(ops[1].target, "/tmp/.cache");

  // Something mounted at the target (or above it) in between: the later one goes on top.
  for (const char* between : {"/tmp", "/"}) {
    ops = {Op(MountKind::kTmpfs, "/tmp"), Op(MountKind::kBind, between),
           Op(MountKind::kTmpfs, "/tmp")};
    MergeTmpfsRedefinitions(&ops);
    EXPECT_EQ(ops.size(), 3u) << between;
  }
}

}  // namespace
}  // namespace sandbox::policy

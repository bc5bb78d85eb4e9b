#include "policy/landlock_only.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sandbox::policy {
namespace {

// A host with /usr, /etc/passwd, the usual devices, /work and the merged-/usr /bin link.
HostView FakeHost() {
  HostView host;
  host.exists = [](const std::string& p) {
    static const std::set<std::string> kPaths = {"/usr",         "/etc/passwd", "/dev/null",
                                                 "/dev/zero",    "/dev/full",   "/dev/random",
                                                 "/dev/urandom", "/work",       "/bin"};
    return kPaths.count(p) > 0;
  };
  host.is_dir = [](const std::string& p) { return p == "/usr" || p == "/work"; };
  host.same_file = [](const std::string& a, const std::string& b) { return a == b; };
  host.link_text = [](const std::string& p) { return std::string(p == "/bin" ? "usr/bin" : ""); };
  return host;
}

MountOp Op(MountKind kind, const std::string& source, const std::string& target,
           bool optional = false) {
  MountOp op;
  op.kind = kind;
  op.source = source;
  op.target = target;
  op.optional = optional;
  op.origin.file = "p.toml";
  op.origin.line = 7;
  return op;
}

TEST(LandlockOnlyTest, MountsBecomeRulesOnTheHostsOwnPaths) {
  auto plan = TranslateForLandlockOnly(
      {Op(MountKind::kReadOnlyBind, "/usr", "/usr"), Op(MountKind::kSymlink, "usr/bin", "/bin"),
       Op(MountKind::kFile, "", "/etc/passwd"), Op(MountKind::kProc, "", "/proc"),
       Op(MountKind::kDev, "", "/dev"), Op(MountKind::kTmpfs, "", "/tmp"),
       Op(MountKind::kBind, "/work", "/work"),
       Op(MountKind::kReadOnlyBind, "/usr/share/zoneinfo/UTC", "/etc/localtime", true)},
      FakeHost());
  ASSERT_TRUE(plan) << plan.error().ToString();
  std::string rules;
  for (const LandlockOnlyRule& r : plan->rules) rules += r.path + (r.writable ? " rw\n" : " ro\n");
  EXPECT_EQ(rules,
            "/usr ro\n/etc/passwd ro\n/proc ro\n/dev/null rw\n/dev/zero rw\n/dev/full rw\n"
            "/dev/random rw\n/dev/urandom rw\n/work rw\n");
  EXPECT_TRUE(plan->private_tmp);
  // Everything the run lacks compared to namespaces is listed, the skipped optional bind too.
  std::string lacks;
  for (const std::string& l : plan->lacks) lacks += l + "\n";
  EXPECT_NE(lacks.find("/etc/passwd of its own"), std::string::npos) << lacks;
  EXPECT_NE(lacks.find("/proc is the host's"), std::string::npos) << lacks;
  EXPECT_NE(lacks.find("/etc/localtime (would show /usr/share/zoneinfo/UTC)"), std::string::npos)
      << lacks;
}

TEST(LandlockOnlyTest, WhatOnlyAMountNamespaceCanDoIsRefusedByName) {
  auto moved = TranslateForLandlockOnly({Op(MountKind::kBind, "/work", "/src")}, FakeHost());
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().ToString(),
            "p.toml:7: --isolation landlock cannot show /work at /src (no mount namespace); bind "
            "it at its own path, or run where user namespaces work");
  EXPECT_FALSE(TranslateForLandlockOnly({Op(MountKind::kTmpfs, "", "/scratch")}, FakeHost()));
  EXPECT_FALSE(TranslateForLandlockOnly({Op(MountKind::kSymlink, "x", "/lib")}, FakeHost()));
  EXPECT_FALSE(TranslateForLandlockOnly({Op(MountKind::kDir, "", "/new")}, FakeHost()));
  EXPECT_FALSE(TranslateForLandlockOnly({Op(MountKind::kFile, "", "/etc/hostname")}, FakeHost()));
  EXPECT_FALSE(TranslateForLandlockOnly({Op(MountKind::kOverlay, "", "/work")}, FakeHost()));
  EXPECT_FALSE(TranslateForLandlockOnly({Op(MountKind::kProc, "", "/p")}, FakeHost()));
  // A mask inside something readable cannot hide anything.
  auto masked = TranslateForLandlockOnly(
      {Op(MountKind::kProc, "", "/proc"), Op(MountKind::kMask, "", "/proc/kcore")}, FakeHost());
  ASSERT_FALSE(masked);
  EXPECT_NE(masked.error().ToString().find("hide /proc/kcore inside /proc"), std::string::npos);
}

// Landlock only adds rights: the workspace's .git cannot stay read-only inside it.
TEST(LandlockOnlyTest, ReadOnlyInsideWritableIsRefused) {
  auto plan = TranslateForLandlockOnly(
      {Op(MountKind::kBind, "/work", "/work"), Op(MountKind::kReadOnlyBind, "/work", "/work")},
      FakeHost());
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().ToString().find("cannot keep /work read-only inside writable /work"),
            std::string::npos)
      << plan.error().ToString();
  EXPECT_NE(plan.error().ToString().find("--workspace-vcs rw"), std::string::npos);
  // The other way round is fine: more rights deeper down.
  EXPECT_TRUE(TranslateForLandlockOnly(
      {Op(MountKind::kReadOnlyBind, "/usr", "/usr"), Op(MountKind::kBind, "/work", "/work")},
      FakeHost()));
}

}  // namespace
}  // namespace sandbox::policy

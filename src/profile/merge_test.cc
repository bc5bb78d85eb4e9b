#include "profile/merge.h"

#include <gtest/gtest.h>

namespace sandbox::profile {
namespace {

Located<std::string> L(std::string value, std::string file, int line) {
  return Located<std::string>{std::move(value), SourceLocation{std::move(file), line, 1}};
}

std::vector<std::string> Names(const std::vector<Located<std::string>>& names) {
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const auto& n : names) out.push_back(n.value);
  return out;
}

TEST(ProfileMergeTest, ScalarsOverrideAndKeepTheirOrigin) {
  ProfileSpec base;
  base.path = "base.toml";
  base.chain = {"base.toml"};
  base.hostname = L("base", "base.toml", 2);
  base.network = L("none", "base.toml", 3);
  base.env.clear = Located<bool>{true, {"base.toml", 5, 9}};
  ProfileSpec derived;
  derived.path = "cc.toml";
  derived.chain = {"cc.toml"};
  derived.hostname = L("cc", "cc.toml", 4);
  derived.env.clear = Located<bool>{false, {"cc.toml", 8, 9}};
  derived.extends = L("base", "cc.toml", 1);
  MergeInto(base, derived);
  EXPECT_EQ(base.hostname->value, "cc");
  EXPECT_EQ(base.hostname->where.ToString(), "cc.toml:4:1");
  EXPECT_EQ(base.network->value, "none");
  EXPECT_EQ(base.network->where.ToString(), "base.toml:3:1");
  EXPECT_FALSE(base.env.clear->value);
  EXPECT_EQ(base.env.clear->where.file, "cc.toml");
  EXPECT_EQ(base.path, "cc.toml");
  EXPECT_EQ(base.chain, (std::vector<std::string>{"base.toml", "cc.toml"}));
  EXPECT_EQ(base.extends->value, "base");
}

TEST(ProfileMergeTest, SeccompListsGiveEachNameToTheMostDerivedProfile) {
  ProfileSpec base;
  base.seccomp.action = L("errno", "base.toml", 2);
  base.seccomp.deny = {L("ptrace", "base.toml", 3), L("uname", "base.toml", 3)};
  base.seccomp.allow = {L("perf_event_open", "base.toml", 4)};
  ProfileSpec derived;
  derived.seccomp.action = L("log", "ci.toml", 2);
  derived.seccomp.allow = {L("ptrace", "ci.toml", 3)};
  derived.seccomp.deny = {L("perf_event_open", "ci.toml", 4)};
  MergeInto(base, derived);
  EXPECT_EQ(base.seccomp.action->value, "log");
  EXPECT_FALSE(base.seccomp.policy);
  EXPECT_EQ(Names(base.seccomp.deny), (std::vector<std::string>{"uname", "perf_event_open"}));
  EXPECT_EQ(Names(base.seccomp.allow), std::vector<std::string>{"ptrace"});
  EXPECT_EQ(base.seccomp.allow[0].where.file, "ci.toml");
}

TEST(ProfileMergeTest, MountsAppendInOrder) {
  ProfileSpec base;
  base.mounts.resize(2);
  base.mounts[0].target = L("/usr", "base.toml", 1);
  base.mounts[1].target = L("/tmp", "base.toml", 5);
  ProfileSpec derived;
  derived.mounts.resize(1);
  derived.mounts[0].target = L("/work", "cc.toml", 3);
  MergeInto(base, derived);
  ASSERT_EQ(base.mounts.size(), 3u);
  EXPECT_EQ(base.mounts[0].target.value, "/usr");
  EXPECT_EQ(base.mounts[2].target.value, "/work");
  EXPECT_EQ(base.mounts[2].target.where.file, "cc.toml");
}

TEST(ProfileMergeTest, EnvSetMergesNameByName) {
  ProfileSpec base;
  base.env.set = {{"PATH", L("/bin", "base.toml", 1)}, {"HOME", L("/tmp", "base.toml", 1)}};
  ProfileSpec derived;
  derived.env.set = {{"CC", L("gcc", "cc.toml", 2)}, {"PATH", L("/opt/bin", "cc.toml", 3)}};
  MergeInto(base, derived);
  ASSERT_EQ(base.env.set.size(), 3u);
  EXPECT_EQ(base.env.set[0].first, "PATH");  // keeps its place, takes the new value
  EXPECT_EQ(base.env.set[0].second.value, "/opt/bin");
  EXPECT_EQ(base.env.set[0].second.where.ToString(), "cc.toml:3:1");
  EXPECT_EQ(base.env.set[1].first, "HOME");
  EXPECT_EQ(base.env.set[2].first, "CC");
}

TEST(ProfileMergeTest, PassAndUnsetAppendWithoutDuplicates) {
  ProfileSpec base;
  base.env.pass = {L("TERM", "base.toml", 1), L("LANG", "base.toml", 1)};
  base.env.unset = {L("A", "base.toml", 2)};
  ProfileSpec derived;
  derived.env.pass = {L("LANG", "cc.toml", 1), L("TZ", "cc.toml", 1)};
  derived.env.unset = {L("A", "cc.toml", 2), L("B", "cc.toml", 2)};
  MergeInto(base, derived);
  EXPECT_EQ(Names(base.env.pass), (std::vector<std::string>{"TERM", "LANG", "TZ"}));
  EXPECT_EQ(base.env.pass[1].where.file, "base.toml");  // the first mention stays
  EXPECT_EQ(Names(base.env.unset), (std::vector<std::string>{"A", "B"}));
}

TEST(ProfileMergeTest, DenyAppendsAndTheDerivedPassOrDenyDecides) {
  ProfileSpec base;
  base.env.pass = {L("NPM_TOKEN", "base.toml", 1), L("CI_*", "base.toml", 1)};
  base.env.deny = {L("*TOKEN*", "base.toml", 2), L("GH_PAT", "base.toml", 2)};
  ProfileSpec derived;
  derived.env.pass = {L("GH_PAT", "ci.toml", 1)};
  derived.env.deny = {L("*TOKEN*", "ci.toml", 2), L("CI_*", "ci.toml", 2)};
  MergeInto(base, derived);
  EXPECT_EQ(Names(base.env.pass), (std::vector<std::string>{"NPM_TOKEN", "GH_PAT"}));
  EXPECT_EQ(Names(base.env.deny), (std::vector<std::string>{"*TOKEN*", "CI_*"}));
}

TEST(ProfileMergeTest, TheDerivedProfileDecidesAName) {
  ProfileSpec base;
  base.env.pass = {L("TERM", "base.toml", 1)};
  base.env.set = {{"EDITOR", L("vi", "base.toml", 2)}, {"PAGER", L("less", "base.toml", 2)}};
  base.env.unset = {L("LANG", "base.toml", 3)};
  ProfileSpec derived;
  derived.env.set = {{"TERM", L("dumb", "cc.toml", 1)}, {"LANG", L("C", "cc.toml", 1)}};
  derived.env.unset = {L("EDITOR", "cc.toml", 2)};
  derived.env.pass = {L("PAGER", "cc.toml", 3)};
  MergeInto(base, derived);
  EXPECT_TRUE(base.env.pass.size() == 1 && base.env.pass[0].value == "PAGER");
  ASSERT_EQ(base.env.set.size(), 2u);
  EXPECT_EQ(base.env.set[0].first, "TERM");
  EXPECT_EQ(base.env.set[1].first, "LANG");
  EXPECT_EQ(Names(base.env.unset), std::vector<std::string>{"EDITOR"});
}

}  // namespace
}  // namespace sandbox::profile

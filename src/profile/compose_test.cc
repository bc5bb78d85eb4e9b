#include "profile/compose.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "profile/parse.h"

namespace sandbox::profile {
namespace {

HostContext TestHost() {
  HostContext host;
  host.cwd = "/home/alice/src";
  host.home = "/home/alice";
  host.user = "alice";
  return host;
}

// A part from (file, text) pairs, root first; a file's key is its name.
ComposePart Part(std::string label, std::vector<std::pair<std::string, std::string>> files) {
  ComposePart part;
  part.label = std::move(label);
  for (auto& [file, text] : files) {
    ParseResult parsed = Parse(text, file, TestHost());
    EXPECT_TRUE(parsed.ok()) << file << ": " << parsed.errors.front().ToString();
    part.files.push_back(std::move(parsed.spec));
    part.keys.push_back(file);
  }
  return part;
}

const char kBase[] = R"(
[sandbox]
network = "none"
[env]
pass = ["TERM"]
deny = ["*TOKEN*"]
set = { PATH = "/usr/bin:/bin", HOME = "/tmp" }
[[mount]]
type = "tmpfs"
target = "/tmp"
)";

const char kCi[] = R"(extends = "base"
[env]
pass = ["GITHUB_*", "CC"]
deny = ["GITHUB_ENV"]
set = { GOCACHE = "/tmp/.cache/go-build" }
[workspace]
mode = "bind"
[[cache]]
name = "go-build"
target = "/tmp/.cache/go-build"
[limits]
timeout = "2h"
)";

const char kNode[] = R"(extends = "base"
[env]
pass = ["NODE_ENV"]
set = { npm_config_cache = "/tmp/.npm" }
[workspace]
mode = "bind"
[[mount]]
type = "ro-bind"
source = "/etc/npmrc"
optional = true
[[cache]]
name = "npm"
target = "/tmp/.npm"
)";

std::vector<std::string> Values(const std::vector<Located<std::string>>& list) {
  std::vector<std::string> out;
  for (const auto& v : list) out.push_back(v.value);
  return out;
}

std::string Set(const ProfileSpec& spec, const std::string& name) {
  for (const auto& [k, v] : spec.env.set) {
    if (k == name) return v.value;
  }
  return "<unset>";
}

std::string ComposeError(std::vector<ComposePart> parts) {
  auto r = Compose(std::move(parts));
  return r ? "<composed>" : r.error().ToString();
}

TEST(ProfileComposeTest, UnionOfTwoProfilesWithTheirSharedBaseAppliedOnce) {
  auto r = Compose({Part("ci", {{"base.toml", kBase}, {"ci.toml", kCi}}),
                    Part("node", {{"base.toml", kBase}, {"node.toml", kNode}})});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->names, (std::vector<std::string>{"ci", "node"}));
  EXPECT_EQ(r->name, "ci, node");
  EXPECT_EQ(r->chain, (std::vector<std::string>{"base.toml", "ci.toml", "node.toml"}));
  ASSERT_EQ(r->mounts.size(), 2u);  // base's /tmp once, then node's npmrc
  EXPECT_EQ(r->mounts[0].target.value, "/tmp");
  EXPECT_EQ(r->mounts[1].target.value, "/etc/npmrc");
  ASSERT_EQ(r->caches.size(), 2u);
  EXPECT_EQ(r->caches[0].name.value, "go-build");
  EXPECT_EQ(r->caches[1].name.value, "npm");
  EXPECT_EQ(Values(r->env.pass), (std::vector<std::string>{"TERM", "GITHUB_*", "CC", "NODE_ENV"}));
  EXPECT_EQ(Values(r->env.deny), (std::vector<std::string>{"*TOKEN*", "GITHUB_ENV"}));
  EXPECT_EQ(Set(*r, "GOCACHE"), "/tmp/.cache/go-build");
  EXPECT_EQ(Set(*r, "npm_config_cache"), "/tmp/.npm");
  EXPECT_EQ(r->workspace.mode->value, "bind");
  EXPECT_EQ(r->limits.size(), 1u);
}

TEST(ProfileComposeTest, TheOrderOfTheProfilesGivesTheSameSettings) {
  auto a = Compose({Part("ci", {{"base.toml", kBase}, {"ci.toml", kCi}}),
                    Part("node", {{"base.toml", kBase}, {"node.toml", kNode}})});
  auto b = Compose({Part("node", {{"base.toml", kBase}, {"node.toml", kNode}}),
                    Part("ci", {{"base.toml", kBase}, {"ci.toml", kCi}})});
  ASSERT_TRUE(a && b);
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(sorted(Values(a->env.pass)), sorted(Values(b->env.pass)));
  EXPECT_EQ(sorted(Values(a->env.deny)), sorted(Values(b->env.deny)));
  EXPECT_EQ(a->mounts.size(), b->mounts.size());
  EXPECT_EQ(a->caches.size(), b->caches.size());
}

TEST(ProfileComposeTest, AProfileStillRefinesItsOwnBase) {
  // go's PATH replaces base's PATH (its own base), not a conflict; so does a network its
  // author wrote over base's.
  const char go[] = R"(extends = "base"
[sandbox]
network = "host"
[env]
set = { PATH = "/usr/lib/go/bin:/usr/bin:/bin" }
)";
  auto r = Compose({Part("ci", {{"base.toml", kBase}, {"ci.toml", kCi}}),
                    Part("go", {{"base.toml", kBase}, {"go.toml", go}})});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(Set(*r, "PATH"), "/usr/lib/go/bin:/usr/bin:/bin");
  EXPECT_EQ(r->network->value, "host");
}

TEST(ProfileComposeTest, TwoProfilesSettingOneVariableDifferentlyIsAnError) {
  const char go[] = "extends = \"base\"\n[env]\nset = { PATH = \"/go/bin:/usr/bin\" }\n";
  const char py[] = "extends = \"base\"\n[env]\nset = { PATH = \"/py/bin:/usr/bin\" }\n";
  EXPECT_EQ(ComposeError({Part("go", {{"base.toml", kBase}, {"go.toml", go}}),
                          Part("python", {{"base.toml", kBase}, {"python.toml", py}})}),
            "--profile go and --profile python disagree on [env] set PATH (go.toml:3:16 vs "
            "python.toml:3:16); leave one of them out, or write a profile that extends one of "
            "them and says what it wants (flags cannot settle it: they apply after the "
            "composition)");
  // The same value twice is no conflict.
  EXPECT_EQ(ComposeError({Part("go", {{"base.toml", kBase}, {"go.toml", go}}),
                          Part("go2", {{"base.toml", kBase}, {"go2.toml", go}})}),
            "<composed>");
}

TEST(ProfileComposeTest, ScalarsLimitsCachesAndMountsOfTwoProfilesMustAgree) {
  struct Case {
    const char* a;
    const char* b;
    const char* what;
  };
  const Case cases[] = {
      {"[sandbox]\nnetwork = \"host\"\n", "[sandbox]\nnetwork = \"none\"\n", "[sandbox] network"},
      {"[sandbox]\nhostname = \"a\"\n", "[sandbox]\nhostname = \"b\"\n", "[sandbox] hostname"},
      {"[env]\nclear = false\n", "[env]\nclear = true\n", "[env] clear"},
      {"[workspace]\nvcs = \"rw\"\n", "[workspace]\nvcs = \"ro\"\n", "[workspace] vcs"},
      {"[limits]\ntimeout = \"1h\"\n", "[limits]\ntimeout = \"2h\"\n", "[limits] timeout"},
      {"[seccomp]\nallow = [\"uname\"]\n", "[seccomp]\ndeny = [\"uname\"]\n",
       "[seccomp] allow or deny uname"},
      {"[[cache]]\nname = \"x\"\ntarget = \"/tmp/x\"\n",
       "[[cache]]\nname = \"x\"\ntarget = \"/tmp/y\"\n", "[[cache]] x"},
      {"[[cache]]\nname = \"x\"\ntarget = \"/tmp/x\"\n",
       "[[cache]]\nname = \"y\"\ntarget = \"/tmp/x\"\n",
       "[[cache]] target /tmp/x (caches x and y)"},
      {"[[mount]]\ntype = \"tmpfs\"\ntarget = \"/scratch\"\n",
       "[[mount]]\ntype = \"dir\"\ntarget = \"/scratch\"\n", "[[mount]] /scratch"},
      {"[env]\nset = { CC = \"gcc\" }\n", "[env]\npass = [\"CC\"]\n", "[env] set or pass CC"},
      {"[env]\npass = [\"CC\"]\n", "[env]\nunset = [\"CC\"]\n", "[env] pass or unset CC"},
  };
  for (const Case& c : cases) {
    std::string error = ComposeError({Part("a", {{"a.toml", c.a}}), Part("b", {{"b.toml", c.b}})});
    EXPECT_TRUE(error.starts_with("--profile a and --profile b disagree on " + std::string(c.what) +
                                  " (a.toml:"))
        << c.what << ": " << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
}

TEST(ProfileComposeTest, EqualMountsAndCachesOfTwoProfilesAreMadeOnce) {
  const char both[] =
      "[[mount]]\ntype = \"ro-bind\"\nsource = \"/opt\"\n[[cache]]\nname = \"x\"\n"
      "target = \"/tmp/x\"\n";
  auto r = Compose({Part("a", {{"a.toml", both}}), Part("b", {{"b.toml", both}})});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->mounts.size(), 1u);
  EXPECT_EQ(r->caches.size(), 1u);
}

TEST(ProfileComposeTest, DenyAlwaysWinsBetweenProfiles) {
  // b passes what a denies (by the same pattern, and by a name a's pattern matches); a later
  // deny also takes an earlier profile's exact pass away. A profile's own explicit pass of a
  // name its own base denies still holds (that is extends' rule).
  const char a[] = "[env]\ndeny = [\"*TOKEN*\", \"SECRET_*\"]\npass = [\"NPM_TOKEN\"]\n";
  const char b[] = "[env]\npass = [\"GITHUB_TOKEN\", \"SECRET_*\", \"HOME_DIR\"]\n";
  const char c[] = "[env]\ndeny = [\"HOME_*\"]\n";
  auto r =
      Compose({Part("a", {{"a.toml", a}}), Part("b", {{"b.toml", b}}), Part("c", {{"c.toml", c}})});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(Values(r->env.pass), (std::vector<std::string>{"NPM_TOKEN"}));
  EXPECT_EQ(Values(r->env.deny), (std::vector<std::string>{"*TOKEN*", "SECRET_*", "HOME_*"}));
}

TEST(ProfileComposeTest, ProtectWinsOverAnotherProfilesUnprotect) {
  const char a[] = "[workspace]\nprotect = [\"Makefile\"]\n";
  const char b[] = "[workspace]\nunprotect = [\"Makefile\", \".envrc\"]\n";
  auto r = Compose({Part("a", {{"a.toml", a}}), Part("b", {{"b.toml", b}})});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(Values(r->workspace.protect), (std::vector<std::string>{"Makefile"}));
  EXPECT_EQ(Values(r->workspace.unprotect), (std::vector<std::string>{".envrc"}));
}

TEST(ProfileComposeTest, AProfileWithoutTheSharedBaseConflictsWithIt) {
  // "own" is a part's whole chain: a standalone profile saying network = "host" meets
  // base's network = "none" brought in by ci, which it never refined.
  const char standalone[] = "[sandbox]\nnetwork = \"host\"\n";
  EXPECT_TRUE(ComposeError({Part("net", {{"net.toml", standalone}}),
                            Part("ci", {{"base.toml", kBase}, {"ci.toml", kCi}})})
                  .starts_with("--profile net and --profile ci disagree on [sandbox] network "
                               "(net.toml:2:11 vs base.toml:3:11)"));
}

}  // namespace
}  // namespace sandbox::profile

// Every profile shipped in profiles/ parses, loads with its `extends`, and says what it
// promises (a test beside the parser, as STYLE.md §1 asks).
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "profile/load.h"

#ifndef SANDBOX_SOURCE_PROFILES
#error "SANDBOX_SOURCE_PROFILES must name the source tree's profiles/"
#endif

namespace sandbox::profile {
namespace {

const std::string kShipped = SANDBOX_SOURCE_PROFILES;

HostContext TestHost() {
  HostContext host;
  host.cwd = "/home/alice/src/project";
  host.home = "/home/alice";
  host.user = "alice";
  host.uid = 1000;
  host.gid = 1000;
  host.search_dirs = {kShipped};  // no env: shipped profiles use no ${env:...}
  return host;
}

std::vector<std::string> ShippedNames() {
  std::vector<std::string> names;
  if (DIR* dir = ::opendir(kShipped.c_str())) {
    while (const dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name.size() > 5 && name.ends_with(".toml"))
        names.push_back(name.substr(0, name.size() - 5));
    }
    ::closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

const MountSpec* FindTarget(const ProfileSpec& spec, const std::string& target) {
  for (const MountSpec& m : spec.mounts) {
    if (m.target.value == target) return &m;
  }
  return nullptr;
}

std::string Env(const ProfileSpec& spec, const std::string& name) {
  for (const auto& [k, v] : spec.env.set) {
    if (k == name) return v.value;
  }
  return "";
}

TEST(ShippedProfilesTest, TheDesignsSetIsThere) {
  EXPECT_EQ(ShippedNames(), (std::vector<std::string>{"base", "cc", "ci", "fleet", "go", "node",
                                                      "python", "rust"}));
}

TEST(ShippedProfilesTest, EveryOneLoadsWithoutErrors) {
  for (const std::string& name : ShippedNames()) {
    SCOPED_TRACE(name);
    LoadResult r = Load(name, TestHost());
    for (const Error& e : r.errors) ADD_FAILURE() << FormatProfileError(e);
    EXPECT_EQ(r.spec.path, kShipped + "/" + name + ".toml");
    EXPECT_FALSE(r.spec.mounts.empty());
    if (name != "base") {
      // Every other profile builds on base and works on the workspace, VCS metadata read-only.
      EXPECT_EQ(r.spec.chain.front(), kShipped + "/base.toml");
      ASSERT_TRUE(r.spec.workspace.mode);
      EXPECT_EQ(r.spec.workspace.mode->value, "bind");
      EXPECT_FALSE(r.spec.workspace.vcs && r.spec.workspace.vcs->value == "rw");
      ASSERT_TRUE(r.spec.cwd);
      EXPECT_EQ(r.spec.cwd->value, "/home/alice/src/project");
    }
    // Nothing of the caller's home is shown except optional toolchains, and never writable:
    // caches are the sandbox's own, the host's only beneath them.
    for (const MountSpec& m : r.spec.mounts) {
      if (m.source && m.source->value.starts_with("/home/alice/")) {
        EXPECT_TRUE(m.optional) << m.source->value;
        EXPECT_EQ(m.kind, MountKind::kReadOnlyBind) << m.source->value;
      }
    }
    // (fleet's are the step's alone.) Never the host's own, read-write.
    for (const CacheSpec& c : r.spec.caches) {
      std::string share = c.share ? c.share->value : "sandbox";
      EXPECT_EQ(share, name == "fleet" ? "run" : "sandbox") << c.name.value;
    }
    ASSERT_TRUE(r.spec.network);
    EXPECT_EQ(r.spec.network->value, "none");
  }
}

TEST(ShippedProfilesTest, BaseIsAWorkingUserland) {
  LoadResult r = Load("base", TestHost());
  ASSERT_TRUE(r.ok());
  const ProfileSpec& base = r.spec;
  EXPECT_EQ(base.hostname->value, "sandbox");
  const MountSpec* usr = FindTarget(base, "/usr");
  ASSERT_NE(usr, nullptr);
  EXPECT_EQ(usr->kind, MountKind::kReadOnlyBind);
  EXPECT_FALSE(usr->optional);
  for (const char* link : {"/bin", "/sbin", "/lib", "/lib64"}) {
    const MountSpec* m = FindTarget(base, link);
    ASSERT_NE(m, nullptr) << link;
    EXPECT_EQ(m->kind, MountKind::kSymlink);
    EXPECT_EQ("/" + m->source->value, std::string("/usr") + link);
  }
  for (const char* etc : {"/etc/ld.so.cache", "/etc/alternatives", "/etc/nsswitch.conf"}) {
    const MountSpec* m = FindTarget(base, etc);
    ASSERT_NE(m, nullptr) << etc;
    EXPECT_EQ(m->kind, MountKind::kReadOnlyBind);
  }
  const MountSpec* passwd = FindTarget(base, "/etc/passwd");
  ASSERT_NE(passwd, nullptr);
  EXPECT_EQ(passwd->kind, MountKind::kFile);
  EXPECT_TRUE(passwd->content.starts_with("root:x:0:0:"));
  EXPECT_EQ(FindTarget(base, "/proc")->kind, MountKind::kProc);
  EXPECT_EQ(FindTarget(base, "/dev")->kind, MountKind::kDev);
  const MountSpec* tmp = FindTarget(base, "/tmp");
  EXPECT_EQ(tmp->kind, MountKind::kTmpfs);
  EXPECT_EQ(tmp->mode, 01777u);
  EXPECT_TRUE(Env(base, "PATH").starts_with("/usr/local/bin:/usr/bin:/bin"));
  EXPECT_EQ(Env(base, "HOME"), "/tmp");
  EXPECT_FALSE(base.env.clear && !base.env.clear->value);
  // The root and mounts inside it come before anything mounted inside them.
  EXPECT_EQ(&base.mounts.front(), usr);
}

TEST(ShippedProfilesTest, ToolchainProfilesKeepTheirCachesUnderTheSandboxHome) {
  HostContext host = TestHost();
  auto cache = [](const ProfileSpec& spec, const std::string& target) -> const CacheSpec* {
    for (const CacheSpec& c : spec.caches) {
      if (c.target.value == target) return &c;
    }
    return nullptr;
  };
  ProfileSpec cc = Load("cc", host).spec;
  const CacheSpec* ccache = cache(cc, "/tmp/.cache/ccache");
  ASSERT_NE(ccache, nullptr);
  ASSERT_TRUE(ccache->host);
  EXPECT_EQ(ccache->host->value, "/home/alice/.cache/ccache");
  EXPECT_EQ(Env(cc, "CCACHE_DIR"), "/tmp/.cache/ccache");

  ProfileSpec rust = Load("rust", host).spec;
  EXPECT_NE(FindTarget(rust, "/home/alice/.rustup"), nullptr);
  EXPECT_EQ(Env(rust, "CARGO_HOME"), "/tmp/.cargo");
  EXPECT_TRUE(Env(rust, "PATH").starts_with("/home/alice/.cargo/bin:"));

  ProfileSpec go = Load("go", host).spec;
  EXPECT_EQ(Env(go, "GOPROXY"), "off");
  EXPECT_NE(cache(go, "/tmp/.cache/go-build"), nullptr);
  EXPECT_NE(cache(go, "/tmp/go/pkg/mod"), nullptr);
  EXPECT_NE(cache(rust, "/tmp/.cargo/registry"), nullptr);

  ProfileSpec ci = Load("ci", host).spec;
  for (const char* target : {"/tmp/.cache/ccache", "/tmp/.cache/pip", "/tmp/.cache/go-build"}) {
    EXPECT_NE(cache(ci, target), nullptr) << target;
  }
  EXPECT_TRUE(std::any_of(ci.env.pass.begin(), ci.env.pass.end(),
                          [](const auto& p) { return p.value == "CI"; }));
}

// The documented way to run a CI step of each language: --profile ci --profile LANG.
TEST(ShippedProfilesTest, CiComposesWithEveryLanguageProfile) {
  for (const char* lang : {"cc", "go", "node", "python", "rust"}) {
    SCOPED_TRACE(lang);
    LoadResult r = LoadAll({"ci", lang}, TestHost());
    for (const Error& e : r.errors) ADD_FAILURE() << e.ToString();
    if (!r.ok()) continue;
    const ProfileSpec& spec = r.spec;
    EXPECT_EQ(spec.names, (std::vector<std::string>{"ci", lang}));
    EXPECT_EQ(spec.chain, (std::vector<std::string>{kShipped + "/base.toml", kShipped + "/ci.toml",
                                                    kShipped + "/" + lang + ".toml"}));
    // base's mounts once, not once per profile.
    size_t usr = std::count_if(spec.mounts.begin(), spec.mounts.end(),
                               [](const MountSpec& m) { return m.target.value == "/usr"; });
    EXPECT_EQ(usr, 1u);
    auto has = [](const std::vector<Located<std::string>>& list, const char* v) {
      return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.value == v; });
    };
    EXPECT_TRUE(has(spec.env.pass, "GITHUB_*"));
    EXPECT_TRUE(has(spec.env.deny, "*TOKEN*"));
    EXPECT_TRUE(has(spec.env.deny, "CI_REPOSITORY_URL"));
    ASSERT_TRUE(spec.limits.size() >= 1);
    ASSERT_TRUE(spec.network);
    EXPECT_EQ(spec.network->value, "none");
  }
  ProfileSpec node = LoadAll({"ci", "node"}, TestHost()).spec;
  EXPECT_TRUE(std::any_of(node.caches.begin(), node.caches.end(),
                          [](const CacheSpec& c) { return c.target.value == "/tmp/.npm"; }));
  EXPECT_EQ(Env(node, "npm_config_offline"), "true");
  // fleet keeps go-build for the step only, go keeps it: a conflict, not a silent choice.
  LoadResult fleet_go = LoadAll({"fleet", "go"}, TestHost());
  ASSERT_EQ(fleet_go.errors.size(), 1u);
  EXPECT_NE(fleet_go.errors[0].message.find("disagree on [[cache]] go-build"), std::string::npos)
      << fleet_go.errors[0].message;
  EXPECT_TRUE(LoadAll({"fleet", "node"}, TestHost()).ok());
  ProfileSpec go = LoadAll({"ci", "go"}, TestHost()).spec;
  EXPECT_EQ(Env(go, "GOPROXY"), "off");
  EXPECT_TRUE(Env(go, "PATH").starts_with("/usr/local/go/bin:"));
}

}  // namespace
}  // namespace sandbox::profile

#include "profile/load.h"

#include <gtest/gtest.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "common/scratch_dir_test.h"

#ifndef SANDBOX_SOURCE_PROFILES
#error "SANDBOX_SOURCE_PROFILES must name the source tree's profiles/ (tests/CMakeLists.txt)"
#endif

namespace sandbox::profile {
namespace {

// tests/testdata/profiles, found from profiles/ beside it; canonical so messages are tidy.
const std::string kShipped = CanonicalPath(SANDBOX_SOURCE_PROFILES);
const std::string kData = CanonicalPath(kShipped + "/../tests/testdata/profiles");

HostContext TestHost(std::vector<std::string> search_dirs = {}) {
  HostContext host;
  host.cwd = kData;
  host.home = "/home/alice";
  host.user = "alice";
  host.uid = 1000;
  host.gid = 100;
  host.search_dirs = std::move(search_dirs);
  return host;
}

std::string AllErrors(const LoadResult& r) {
  std::string out;
  for (const Error& e : r.errors) out += FormatProfileError(e) + "\n";
  return out;
}

TEST(ProfileLocateTest, Paths) {
  HostContext host = TestHost();
  EXPECT_EQ(*Locate(kData + "/chain/child.toml", host), kData + "/chain/child.toml");
  EXPECT_EQ(*Locate("chain/child.toml", host), kData + "/chain/child.toml");
  EXPECT_EQ(*Locate("./chain/child.toml", host), kData + "/chain/child.toml");
  host.cwd = kData + "/chain";
  EXPECT_EQ(*Locate("child.toml", host), kData + "/chain/child.toml");
}

TEST(ProfileLocateTest, NamesFollowTheSearchPath) {
  HostContext host = TestHost({kData + "/nowhere", kData + "/user", kShipped});
  EXPECT_EQ(*Locate("base", host), kData + "/user/base.toml");
  EXPECT_EQ(*Locate("cc", host), kShipped + "/cc.toml");
  // "cc.toml" is not in cwd: it is the name "cc".
  EXPECT_EQ(*Locate("cc.toml", host), kShipped + "/cc.toml");
}

TEST(ProfileLocateTest, NotFoundSaysWhereItLooked) {
  auto r = Locate("nope.toml", TestHost({"/a", "/b/"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(FormatProfileError(r.error()), "profile \"nope\" not found; looked for " + kData +
                                               "/nope.toml, /a/nope.toml, "
                                               "/b/nope.toml");
  r = Locate("nope", TestHost());
  ASSERT_FALSE(r);
  EXPECT_EQ(FormatProfileError(r.error()),
            "profile \"nope\" not found; no profile directories are configured; give a path");
  r = Locate("sub/nope.toml", TestHost({"/a"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(FormatProfileError(r.error()),
            "cannot read profile " + kData + "/sub/nope.toml: No such file or directory");
  r = Locate("/dev/null", TestHost());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "profile /dev/null is not a regular file");
  EXPECT_FALSE(Locate("", TestHost()));
}

TEST(ProfileLoadTest, ChainOverridesAndAppends) {
  HostContext host = TestHost();
  host.cwd = "/work/proj";
  LoadResult r = Load(kData + "/chain/child.toml", host);
  ASSERT_TRUE(r.ok()) << AllErrors(r);
  const ProfileSpec& spec = r.spec;
  EXPECT_EQ(spec.name, kData + "/chain/child.toml");
  EXPECT_EQ(spec.path, kData + "/chain/child.toml");
  EXPECT_EQ(spec.chain,
            (std::vector<std::string>{kData + "/chain/grandparent.toml",
                                      kData + "/chain/parent.toml", kData + "/chain/child.toml"}));
  EXPECT_EQ(spec.extends->value, "./parent.toml");
  // Scalars: the nearest file that sets one wins, and says so.
  EXPECT_EQ(spec.hostname->value, "parent");
  EXPECT_EQ(spec.hostname->where.ToString(), kData + "/chain/parent.toml:4:12");
  EXPECT_EQ(spec.network->value, "host");
  EXPECT_EQ(spec.uid->value, 0);
  EXPECT_EQ(spec.uid->where.file, kData + "/chain/grandparent.toml");
  EXPECT_EQ(spec.cwd->value, kData + "/chain");  // ${PROFILE_DIR} of parent.toml
  EXPECT_FALSE(spec.env.clear->value);
  // Mounts append, root first.
  ASSERT_EQ(spec.mounts.size(), 4u);
  EXPECT_EQ(spec.mounts[0].target.value, "/usr");
  EXPECT_EQ(spec.mounts[1].target.value, "/tmp");
  EXPECT_EQ(spec.mounts[2].source->value, "/work/proj");
  EXPECT_EQ(spec.mounts[2].where.ToString(), kData + "/chain/parent.toml:12:8");
  EXPECT_EQ(spec.mounts[3].target.value, "/work");
  // env: set merged name by name; each name decided by the nearest file naming it.
  std::vector<std::string> pass, unset;
  for (const auto& p : spec.env.pass) pass.push_back(p.value);
  for (const auto& u : spec.env.unset) unset.push_back(u.value);
  EXPECT_EQ(pass, (std::vector<std::string>{"LANG", "TZ", "GONE"}));  // TERM: set by child
  EXPECT_EQ(unset, std::vector<std::string>{"EDITOR"});               // GONE: passed by child
  ASSERT_EQ(spec.env.set.size(), 4u);
  EXPECT_EQ(spec.env.set[0].first, "PATH");
  EXPECT_EQ(spec.env.set[0].second.value, "/opt/bin:/usr/bin:/bin");
  EXPECT_EQ(spec.env.set[0].second.where.file, kData + "/chain/parent.toml");
  EXPECT_EQ(spec.env.set[1].first, "HOME");
  EXPECT_EQ(spec.env.set[2].first, "CC");
  EXPECT_EQ(spec.env.set[3].first, "TERM");
  EXPECT_EQ(spec.env.set[3].second.value, "dumb");
}

TEST(ProfileLoadTest, RelativeExtendsIsRelativeToTheFile) {
  LoadResult r = Load("sub/relative.toml", TestHost());
  ASSERT_TRUE(r.ok()) << AllErrors(r);
  EXPECT_EQ(r.spec.chain.size(), 3u);
  EXPECT_EQ(r.spec.chain[1], kData + "/sub/../chain/parent.toml");
  EXPECT_EQ(r.spec.hostname->value, "parent");
}

TEST(ProfileLoadTest, ExtendingItsOwnNameSkipsItself) {
  LoadResult r = Load("base", TestHost({kData + "/user", kShipped}));
  ASSERT_TRUE(r.ok()) << AllErrors(r);
  EXPECT_EQ(r.spec.chain,
            (std::vector<std::string>{kShipped + "/base.toml", kData + "/user/base.toml"}));
  EXPECT_EQ(r.spec.hostname->value, "mine");
  EXPECT_FALSE(r.spec.mounts.empty());
  EXPECT_EQ(r.spec.name, "base");
}

TEST(ProfileLoadTest, Cycle) {
  LoadResult r = Load("cycle/a.toml", TestHost());
  EXPECT_EQ(AllErrors(r), kData + "/cycle/b.toml:2:11: \"extends\" forms a cycle: " + kData +
                              "/cycle/a.toml -> " + kData + "/cycle/b.toml -> " + kData +
                              "/cycle/a.toml\n"
                              "extends = \"a.toml\"\n"
                              "          ^\n");
}

TEST(ProfileLoadTest, ExtendsAMissingProfile) {
  LoadResult r = Load("errors/missing_parent.toml", TestHost({"/etc/sandbox/profiles"}));
  EXPECT_EQ(AllErrors(r),
            kData +
                "/errors/missing_parent.toml:1:11: profile \"no-such-profile\" "
                "not found; looked for " +
                kData +
                "/errors/no-such-profile.toml, /etc/sandbox/profiles/no-such-profile.toml\n"
                "extends = \"no-such-profile\"\n"
                "          ^\n");
  // What could be read is still there.
  EXPECT_EQ(r.spec.hostname->value, "orphan");
}

TEST(ProfileLoadTest, EveryErrorOfEveryFile) {
  LoadResult r = Load("errors/bad_parent.toml", TestHost());
  const std::string many = kData + "/errors/many.toml";
  EXPECT_EQ(AllErrors(r),
            kData +
                "/errors/bad_parent.toml:4:7: \"uid\" must be between 0 and 4294967294\n"
                "uid = -1\n"
                "      ^\n" +
                many +
                ":3:1: unknown key \"hostnme\" in [sandbox]; did you mean \"hostname\"?\n"
                "hostnme = \"x\"\n"
                "^\n" +
                many +
                ":4:11: \"network\" cannot be \"bridge\"; use \"none\" (a network of its own with "
                "only lo) or \"host\"\n"
                "network = \"bridge\"\n"
                "          ^\n" +
                many +
                ":7:8: \"pass\" must be an array of strings, not a string\n"
                "pass = \"TERM\"\n"
                "       ^\n" +
                many +
                ":12:1: \"size\" does not apply to a bind mount; \"size\" is only for tmpfs "
                "mounts\n"
                "size = \"1G\"\n"
                "^\n" +
                many +
                ":16:10: target \"tmp\" is not an absolute path; targets are paths inside the "
                "sandbox, starting with \"/\"\n"
                "target = \"tmp\"\n"
                "         ^\n");
  auto first = std::move(r).TakeSpec();
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().message, "\"uid\" must be between 0 and 4294967294");
}

TEST(ProfileLoadTest, NotAProfile) {
  LoadResult r = Load("missing", TestHost({kData}));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_FALSE(r.errors[0].where);
  EXPECT_EQ(r.errors[0].ToString(),
            "profile \"missing\" not found; looked for " + kData + "/missing.toml");
}

}  // namespace
}  // namespace sandbox::profile

namespace sandbox::profile {
namespace {

// A private directory of profiles written by the test.
class ProfileTrustTest : public ScratchDirTest {
 protected:
  void SetUp() override {
    ScratchDirTest::SetUp();
    Mkdir("installed");
    Mkdir("config");
  }
  HostContext Host() {
    HostContext host = TestHost({dir_ + "/config", dir_ + "/installed"});
    host.uid = ::getuid();
    return host;
  }
};

TEST_F(ProfileTrustTest, ExtendsFindsItsBaseBesideItBeforeTheCallersConfig) {
  Write("installed/base.toml", "[sandbox]\nhostname = \"installed\"\n");
  Write("installed/ci.toml", "extends = \"base\"\n");
  // What a hostile or stale config directory holds must not reach the installed ci.
  Write("config/base.toml",
        "[sandbox]\nhostname = \"planted\"\n[[mount]]\ntype = \"bind\"\n"
        "source = \"/\"\n");
  LoadResult r = Load(dir_ + "/installed/ci.toml", Host());
  ASSERT_TRUE(r.ok()) << AllErrors(r);
  ASSERT_TRUE(r.spec.hostname);
  EXPECT_EQ(r.spec.hostname->value, "installed");
  EXPECT_TRUE(r.spec.mounts.empty());
}

TEST_F(ProfileTrustTest, WritableByOthersIsRefused) {
  Write("installed/gw.toml", "[sandbox]\nhostname = \"x\"\n", 0664);
  LoadResult r = Load(dir_ + "/installed/gw.toml", Host());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(AllErrors(r).find("is writable by its group or others"), std::string::npos)
      << AllErrors(r);
  EXPECT_NE(AllErrors(r).find("chmod go-w"), std::string::npos);

  Write("installed/ok.toml", "[sandbox]\nhostname = \"x\"\n");
  ASSERT_EQ(::chmod((dir_ + "/installed").c_str(), 0777), 0);
  r = Load(dir_ + "/installed/ok.toml", Host());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(AllErrors(r).find(dir_ + "/installed is writable"), std::string::npos) << AllErrors(r);
}

TEST_F(ProfileTrustTest, OwnedByAnotherUserIsRefused) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  Write("installed/theirs.toml", "[sandbox]\nhostname = \"x\"\n");
  ASSERT_EQ(::chown((dir_ + "/installed/theirs.toml").c_str(), 4242, 4242), 0);
  LoadResult r = Load(dir_ + "/installed/theirs.toml", Host());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(AllErrors(r).find("belongs to uid 4242"), std::string::npos) << AllErrors(r);
}

// Inside a user namespace that does not map them, the host's root and every other outside
// user show as one uid (here 4242 stands for it): directories above a profile with that owner
// pass (/ is one), the installation's own profiles pass, any other profile file of that owner
// is refused with a hint the user can follow.
TEST_F(ProfileTrustTest, AnOwnerNotMappedInTheNamespacePassesOnlyAboveTheProfileOrWhereInstalled) {
  if (::getuid() != 0) GTEST_SKIP() << "needs root to give files away";
  Mkdir("config/mine");
  Write("config/mine/own.toml", "[sandbox]\nhostname = \"own\"\n");
  ASSERT_EQ(::chown((dir_ + "/config").c_str(), 4242, 4242), 0);
  HostContext host = Host();
  host.installed_dirs = {dir_ + "/installed"};
  LoadResult r = Load(dir_ + "/config/mine/own.toml", host);
  ASSERT_FALSE(r.ok()) << "outside a namespace, another user's directory above it is refused";
  EXPECT_NE(AllErrors(r).find(dir_ + "/config belongs to uid 4242"), std::string::npos)
      << AllErrors(r);
  host.unmapped_owner = 4242;
  r = Load(dir_ + "/config/mine/own.toml", host);
  EXPECT_TRUE(r.ok()) << AllErrors(r);

  // A file of the unmapped owner outside the installation: refused, with a hint that works.
  Write("config/mine/theirs.toml", "[sandbox]\nhostname = \"theirs\"\n");
  ASSERT_EQ(::chown((dir_ + "/config/mine/theirs.toml").c_str(), 4242, 4242), 0);
  r = Load(dir_ + "/config/mine/theirs.toml", host);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(AllErrors(r).find("belongs to uid 4242"), std::string::npos) << AllErrors(r);
  EXPECT_NE(AllErrors(r).find("not mapped in this user namespace"), std::string::npos)
      << AllErrors(r);

  // The installation's own profile of that owner passes, and only while it is not writable
  // by others.
  Write("installed/shipped.toml", "[sandbox]\nhostname = \"shipped\"\n");
  ASSERT_EQ(::chown((dir_ + "/installed/shipped.toml").c_str(), 4242, 4242), 0);
  r = Load(dir_ + "/installed/shipped.toml", host);
  EXPECT_TRUE(r.ok()) << AllErrors(r);
  ASSERT_EQ(::chmod((dir_ + "/installed/shipped.toml").c_str(), 0666), 0);
  r = Load(dir_ + "/installed/shipped.toml", host);
  EXPECT_FALSE(r.ok());
  host.unmapped_owner.reset();
  ASSERT_EQ(::chmod((dir_ + "/installed/shipped.toml").c_str(), 0644), 0);
  r = Load(dir_ + "/installed/shipped.toml", host);
  EXPECT_FALSE(r.ok()) << "outside a namespace, uid 4242 is just another user";
}

}  // namespace
}  // namespace sandbox::profile

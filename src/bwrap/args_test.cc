#include "bwrap/args.h"

#include <gtest/gtest.h>

#include <map>

namespace sandbox::bwrap {
namespace {

Result<Parsed> Parse(const std::vector<std::string>& args, std::map<int, std::string> fds = {}) {
  return ParseArgs("bwrap", args, 1000, 100, [fds](int fd) -> Result<std::string> {
    auto it = fds.find(fd);
    if (it == fds.end()) return MakeError("Can't read fd " + std::to_string(fd));
    return it->second;
  });
}

TEST(BwrapArgsTest, BubblewrapsDefaults) {
  auto p = Parse({"--ro-bind", "/usr", "/usr", "true"});
  ASSERT_TRUE(p) << p.error().ToString();
  const cli::CliOptions& o = p->options;
  ASSERT_TRUE(o.bwrap);
  EXPECT_FALSE(o.bwrap->unshare_pid || o.bwrap->unshare_net || o.bwrap->unshare_ipc ||
               o.bwrap->unshare_uts || o.bwrap->unshare_cgroup);
  EXPECT_FALSE(o.bwrap->new_session);
  EXPECT_TRUE(o.keep_env);
  EXPECT_EQ(o.uid, 1000u);
  EXPECT_EQ(o.gid, 100u);
  EXPECT_EQ(o.seccomp_policy, "none");
  EXPECT_EQ(o.landlock, "off");
  EXPECT_EQ(o.command, std::vector<std::string>{"true"});
}

TEST(BwrapArgsTest, NamespacesAndProcessOptions) {
  auto p = Parse({"--unshare-all", "--share-net", "--new-session", "--die-with-parent", "--uid",
                  "0", "--hostname", "h", "--chdir", "/tmp", "--", "sh", "-c", "x"});
  ASSERT_TRUE(p) << p.error().ToString();
  const auto& b = *p->options.bwrap;
  EXPECT_TRUE(b.unshare_pid && b.unshare_ipc && b.unshare_uts && b.unshare_cgroup);
  EXPECT_FALSE(b.unshare_net);
  EXPECT_TRUE(b.new_session && b.die_with_parent);
  EXPECT_EQ(p->options.uid, 0u);
  EXPECT_EQ(p->options.hostname, "h");
  EXPECT_EQ(p->options.chdir, "/tmp");
  EXPECT_EQ(p->options.command, (std::vector<std::string>{"sh", "-c", "x"}));
}

TEST(BwrapArgsTest, MountsKeepTheirOrderAndModifiers) {
  auto p = Parse({"--bind",  "/a",      "/b",           "--size", "1M",     "--perms",
                  "0700",    "--tmpfs", "/tmp",         "--dir",  "/d",     "--symlink",
                  "usr/bin", "/bin",    "--file",       "5",      "/etc/x", "--ro-bind-try",
                  "/nope",   "/n",      "--remount-ro", "/",      "true"},
                 {{5, "content\n"}});
  ASSERT_TRUE(p) << p.error().ToString();
  const auto& m = p->options.mounts;
  ASSERT_EQ(m.size(), 7u);
  EXPECT_EQ(m[0].kind, MountKind::kBind);
  EXPECT_EQ(m[0].flag, "--bind /a /b");
  EXPECT_EQ(m[1].kind, MountKind::kTmpfs);
  EXPECT_EQ(m[1].size_bytes, 1u << 20);
  EXPECT_EQ(m[1].mode, 0700u);
  EXPECT_EQ(m[2].kind, MountKind::kDir);
  EXPECT_FALSE(m[2].mode);  // --perms applies to the next operation only
  EXPECT_EQ(m[3].kind, MountKind::kSymlink);
  EXPECT_EQ(m[3].source, "usr/bin");
  EXPECT_EQ(m[4].kind, MountKind::kFile);
  EXPECT_EQ(m[4].content, "content\n");
  EXPECT_EQ(m[5].kind, MountKind::kReadOnlyBind);
  EXPECT_TRUE(m[5].optional);
  EXPECT_EQ(m[6].kind, MountKind::kRemountReadOnly);
  EXPECT_EQ(m[6].target, "/");
}

TEST(BwrapArgsTest, ArgsFromADescriptorAreInsertedInPlace) {
  std::string nul_separated("--unshare-pid\0--setenv\0A\0b c\0", 29);
  auto p = Parse({"--args", "7", "--ro-bind", "/", "/", "env"}, {{7, nul_separated}});
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_TRUE(p->options.bwrap->unshare_pid);
  ASSERT_EQ(p->options.env.size(), 1u);
  EXPECT_EQ(p->options.env[0].value, "b c");
  EXPECT_EQ(p->options.mounts.size(), 1u);
}

TEST(BwrapArgsTest, ErrorsAreBubblewrapsWords) {
  auto p = Parse({"--frobnicate", "true"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "Unknown option --frobnicate");
  p = Parse({"--ro-bind", "/", "/"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "No command specified");
  p = Parse({"--hostname", "x", "true"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "Specifying --hostname requires --unshare-uts");
  p = Parse({"--bind", "/a"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "--bind takes an argument");
  p = Parse({"--cap-add", "ALL", "true"});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().ToString().find("not supported"), std::string::npos);
}

TEST(BwrapArgsTest, Argv0AndLockFiles) {
  auto p = Parse({"--unshare-pid", "--as-pid-1", "--argv0", "fancy", "--lock-file", "/l", "sh"});
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->options.bwrap->argv0, "fancy");
  EXPECT_EQ(p->options.bwrap->lock_files, std::vector<std::string>{"/l"});
  EXPECT_TRUE(p->options.bwrap->as_pid_1);
  EXPECT_EQ(p->options.command, std::vector<std::string>{"sh"});
}

TEST(BwrapArgsTest, HelpAndVersion) {
  auto p = Parse({"--version"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->exit_now, 0);
  EXPECT_EQ(p->text.rfind("bubblewrap ", 0), 0u);
}

}  // namespace
}  // namespace sandbox::bwrap

#include "bwrap/args.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <map>

namespace sandbox::bwrap {
namespace {

Result<Parsed> Parse(const std::vector<std::string>& args, std::map<int, std::string> fds = {},
                     uid_t uid = 1000, uint64_t effective_caps = 0) {
  return ParseArgs(
      "bwrap", args, uid, 100,
      [fds](int fd) -> Result<std::string> {
        auto it = fds.find(fd);
        if (it == fds.end()) return MakeError("Can't read fd " + std::to_string(fd));
        return it->second;
      },
      effective_caps);
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
  auto p = Parse({"--bind",  "/a",      "/b",           "--size", "1048576", "--perms",
                  "0700",    "--tmpfs", "/tmp",         "--dir",  "/d",      "--symlink",
                  "usr/bin", "/bin",    "--file",       "5",      "/etc/x",  "--ro-bind-try",
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
  EXPECT_EQ(m[2].mode, 0755u);  // --perms applies to the next operation only
  EXPECT_EQ(m[4].mode, 0666u);  // bubblewrap's --file default
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
  p = Parse({"--hostname", "x", "true"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "Specifying --hostname requires --unshare-uts");
  p = Parse({"--bind", "/a"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "--bind takes two arguments");
  p = Parse({"--cap-add", "CAP_FROB", "true"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "unknown cap: CAP_FROB");
  p = Parse({"--perms", "0640", "--perms", "0640", "--tmpfs", "/a", "true"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "--perms given twice for the same action");
  p = Parse({"--size", "123bogus", "--tmpfs", "/a", "true"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "--size takes a non-zero number of bytes");
  p = Parse({"--size", "1024", "--dir", "/a", "true"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "--size must be followed by --tmpfs");
  p = Parse({"--overlay-src", "/a", "--chdir", "/", "true"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(),
            "--overlay-src must be followed by another --overlay-src or one of --overlay, "
            "--tmp-overlay, or --ro-overlay");
  p = Parse({"--overlay-src", "/a", "--ro-overlay", "/b", "true"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "--ro-overlay requires at least two --overlay-src");
  p = Parse({"--disable-userns", "true"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "--disable-userns requires --unshare-user");
  p = Parse({"--unshare-pid", "--as-pid-1", "--lock-file", "/l", "true"});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "Specifying --as-pid-1 and --lock-file is not permitted");
  p = Parse({"--add-seccomp-fd", "3", "--seccomp", "4", "true"}, {{3, ""}, {4, ""}});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "--seccomp cannot be combined with --add-seccomp-fd");
  p = Parse({"--add-seccomp-fd", "3", "true"}, {{3, "123"}});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "Invalid seccomp data, must be multiple of 8");
}

TEST(BwrapArgsTest, NoCommandPrintsUsageOnStderrAndFails) {
  auto p = Parse({"--ro-bind", "/", "/"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->exit_now, 1);
  EXPECT_TRUE(p->text_to_stderr);
  EXPECT_EQ(p->text.rfind("usage: bwrap", 0), 0u);
}

TEST(BwrapArgsTest, UserNamespaceUnlessRoot) {
  auto p = Parse({"true"});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->options.bwrap->unshare_user);  // how an unprivileged run works at all
  p = Parse({"true"}, {}, 0);
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->options.bwrap->unshare_user);  // root: only when asked
  p = Parse({"--unshare-all", "true"}, {}, 0);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->options.bwrap->unshare_user);  // --unshare-all means --unshare-user-try
  p = Parse({"--uid", "5", "true"}, {}, 0);
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "Specifying --uid requires --unshare-user or --userns");
  // A joined namespace instead of a new one; the ids are switched to inside it.
  p = Parse({"--userns", "9", "--uid", "5", "--gid", "6", "true"});
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_FALSE(p->options.bwrap->unshare_user);
  EXPECT_EQ(p->options.bwrap->userns_fd, 9);
  EXPECT_EQ(p->options.uid, 5u);
  EXPECT_EQ(p->options.gid, 6u);
}

TEST(BwrapArgsTest, CapabilitiesStartFromWhatTheCallerHas) {
  auto p = Parse({"--cap-add", "CAP_NET_ADMIN", "--cap-add", "sys_admin", "true"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->options.bwrap->capabilities, (uint64_t{1} << 12) | (uint64_t{1} << 21));
  p = Parse({"--cap-drop", "CAP_KILL", "true"}, {}, 0, 0xff);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->options.bwrap->capabilities, uint64_t{0xff} & ~(uint64_t{1} << 5));
  p = Parse({"--cap-add", "ALL", "--cap-drop", "ALL", "true"});
  ASSERT_TRUE(p);
  EXPECT_EQ(p->options.bwrap->capabilities, 0u);
  p = Parse({"true"});
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->options.bwrap->capabilities);
}

TEST(BwrapArgsTest, OverlaysTakeThePrecedingSources) {
  auto p = Parse({"--overlay-src", "/l1", "--overlay-src", "/l2", "--overlay", "/u", "/w", "/dst",
                  "--overlay-src", "/l3", "--tmp-overlay", "/t", "true"});
  ASSERT_TRUE(p) << p.error().ToString();
  const auto& m = p->options.mounts;
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].kind, MountKind::kOverlay);
  EXPECT_EQ(m[0].layers, (std::vector<std::string>{"/l1", "/l2"}));
  EXPECT_EQ(m[0].upper, "/u");
  EXPECT_EQ(m[0].work, "/w");
  EXPECT_EQ(m[0].target, "/dst");
  EXPECT_EQ(m[1].kind, MountKind::kTmpOverlay);
  EXPECT_EQ(m[1].layers, std::vector<std::string>{"/l3"});
}

TEST(BwrapArgsTest, PermsNarrowTheParentsAndDataIsRead) {
  auto p = Parse({"--perms", "0700", "--dir", "/a/b", "--perms", "0750", "--bind-data", "3", "/c",
                  "--chmod", "1755", "/d", "--remount-ro", "/e", "true"},
                 {{3, "data"}});
  ASSERT_TRUE(p) << p.error().ToString();
  const auto& m = p->options.mounts;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].parent_mode, 0700u);
  EXPECT_EQ(m[1].kind, MountKind::kBindData);
  EXPECT_EQ(m[1].content, "data");
  EXPECT_EQ(m[1].parent_mode, 0750u);
  EXPECT_EQ(m[2].kind, MountKind::kChmod);
  EXPECT_EQ(m[2].mode, 01755u);
  EXPECT_FALSE(m[3].recursive);  // bubblewrap's --remount-ro acts on one mount
  EXPECT_EQ(p->options.bwrap->consumed_fds, std::vector<int>{3});
}

TEST(BwrapArgsTest, DataDescriptorsAreClosedAfterOneUse) {
  // bubblewrap 0.12: --file, --bind-data and --ro-bind-data close their descriptor once read,
  // so naming it again (or after --args read it) fails with EBADF.
  for (const char* second : {"--file", "--bind-data", "--ro-bind-data"}) {
    auto p = Parse({"--ro-bind-data", "3", "/a", second, "3", "/b", "true"}, {{3, "x"}});
    ASSERT_FALSE(p) << second;
    EXPECT_EQ(p.error().ToString(), "Can't write data to file /b: Bad file descriptor") << second;
  }
  auto p = Parse({"--args", "3", "--file", "3", "/b", "true"}, {{3, std::string()}});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(), "Can't write data to file /b: Bad file descriptor");
  p = Parse({"--file", "3", "/a", "--file", "4", "/b", "true"}, {{3, "x"}, {4, "y"}});
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->options.mounts[1].content, "y");
}

TEST(BwrapArgsTest, BindFdBindsTheDescriptorsPathAndKeepsTheDescriptor) {
  int fd = ::open("/usr", O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  std::string number = std::to_string(fd);
  auto p = Parse(
      {"--bind-fd", number, "/a", "--ro-bind-fd", number, "/b", "--bind", "/c", "/d", "true"});
  ::close(fd);
  ASSERT_TRUE(p) << p.error().ToString();
  const auto& m = p->options.mounts;
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].kind, MountKind::kBind);
  EXPECT_EQ(m[0].source, "/usr");
  EXPECT_EQ(m[0].source_fd, fd);  // the sandbox checks the mount against it
  EXPECT_EQ(m[1].kind, MountKind::kReadOnlyBind);
  EXPECT_EQ(m[1].source_fd, fd);
  EXPECT_EQ(m[2].source_fd, -1);  // a plain bind has nothing to check
  EXPECT_EQ(p->options.bwrap->consumed_fds, (std::vector<int>{fd, fd}));
}

TEST(BwrapArgsTest, Argv0AndLockFiles) {
  auto p = Parse({"--unshare-pid", "--argv0", "fancy", "--lock-file", "/l", "sh"});
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->options.bwrap->argv0, "fancy");
  EXPECT_EQ(p->options.bwrap->lock_files, std::vector<std::string>{"/l"});
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

#include "cli/parse.h"

#include <gtest/gtest.h>

#include <vector>

namespace sandbox::cli {
namespace {

Result<ParseOutcome> ParseArgs(std::vector<const char*> args) {
  args.insert(args.begin(), "sandbox");
  return Parse(static_cast<int>(args.size()), args.data());
}

TEST(CliParseTest, MountFlagsKeepCommandLineOrder) {
  auto r = ParseArgs({"--tmpfs", "/tmp", "--ro-bind", "/usr", "/usr", "--bind", "/a", "/b",
                      "--proc", "/proc", "--", "make", "-j2"});
  ASSERT_TRUE(r) << r.error().ToString();
  const auto& m = r->options.mounts;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].kind, MountKind::kTmpfs);
  EXPECT_EQ(m[0].target, "/tmp");
  EXPECT_EQ(m[1].kind, MountKind::kReadOnlyBind);
  EXPECT_EQ(m[1].source, "/usr");
  EXPECT_EQ(m[1].flag, "--ro-bind /usr /usr");
  EXPECT_EQ(m[2].kind, MountKind::kBind);
  EXPECT_EQ(m[2].source, "/a");
  EXPECT_EQ(m[2].target, "/b");
  EXPECT_EQ(m[3].kind, MountKind::kProc);
  EXPECT_EQ(r->options.command, (std::vector<std::string>{"make", "-j2"}));
}

TEST(CliParseTest, SizeAndPermsModifyOnlyTheNextFlag) {
  auto r = ParseArgs({"--size", "1M", "--perms", "0700", "--tmpfs", "/a", "--tmpfs", "/b",
                      "--perms", "0711", "--dir", "/c", "--", "true"});
  ASSERT_TRUE(r) << r.error().ToString();
  const auto& m = r->options.mounts;
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].size_bytes, 1u << 20);
  EXPECT_EQ(m[0].mode, 0700u);
  EXPECT_FALSE(m[1].size_bytes.has_value());
  EXPECT_FALSE(m[1].mode.has_value());
  EXPECT_EQ(m[2].mode, 0711u);
}

TEST(CliParseTest, DanglingSizeIsAnError) {
  auto r = ParseArgs({"--size", "1M", "--", "true"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "--size given without a following --tmpfs");
}

TEST(CliParseTest, TryFormsAreOptional) {
  auto r = ParseArgs({"--ro-bind-try", "/x", "/x", "--bind-try", "/y", "/y", "--", "true"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->options.mounts[0].optional);
  EXPECT_TRUE(r->options.mounts[1].optional);
}

TEST(CliParseTest, SymlinkTakesTextThenLink) {
  auto r = ParseArgs({"--symlink", "usr/bin", "/bin", "--", "true"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->options.mounts[0].kind, MountKind::kSymlink);
  EXPECT_EQ(r->options.mounts[0].source, "usr/bin");
  EXPECT_EQ(r->options.mounts[0].target, "/bin");
}

TEST(CliParseTest, EnvironmentFlagsKeepOrder) {
  auto r = ParseArgs(
      {"--setenv", "A", "1", "--clearenv", "--unsetenv", "B", "--setenv", "C", "3", "--", "env"});
  ASSERT_TRUE(r);
  const auto& e = r->options.env;
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].op, EnvRequest::Op::kSet);
  EXPECT_EQ(e[0].name, "A");
  EXPECT_EQ(e[1].op, EnvRequest::Op::kClear);
  EXPECT_EQ(e[2].op, EnvRequest::Op::kUnset);
  EXPECT_EQ(e[2].name, "B");
  EXPECT_EQ(e[3].value, "3");
  r = ParseArgs({"--pass-env", "SUFFIX", "--setenv", "A", "1", "--pass-env", "MY_*", "--", "e"});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->options.env.size(), 3u);
  EXPECT_EQ(r->options.env[0].op, EnvRequest::Op::kPass);
  EXPECT_EQ(r->options.env[0].name, "SUFFIX");
  EXPECT_EQ(r->options.env[2].name, "MY_*");
}

// As in bubblewrap, a flag's values are taken as written, even when they look like flags.
TEST(CliParseTest, ValuesStartingWithDashAreLiteral) {
  auto r = ParseArgs({"--setenv", "LDFLAGS", "-s", "--setenv", "CFLAGS", "-O2 -g", "--bind", "/src",
                      "-weird", "--symlink", "-x", "/l", "--setenv", "SEP", "--", "--chdir", "-d",
                      "--", "env"});
  ASSERT_TRUE(r) << r.error().ToString();
  const CliOptions& o = r->options;
  ASSERT_EQ(o.env.size(), 3u);
  EXPECT_EQ(o.env[0].name, "LDFLAGS");
  EXPECT_EQ(o.env[0].value, "-s");
  EXPECT_EQ(o.env[1].value, "-O2 -g");
  EXPECT_EQ(o.env[2].name, "SEP");
  EXPECT_EQ(o.env[2].value, "--");
  ASSERT_EQ(o.mounts.size(), 2u);
  EXPECT_EQ(o.mounts[0].target, "-weird");
  EXPECT_EQ(o.mounts[1].source, "-x");
  EXPECT_EQ(o.chdir, "-d");
  EXPECT_EQ(o.command, (std::vector<std::string>{"env"}));
}

TEST(CliParseTest, CommandWithoutSeparatorStartsAtFirstPositional) {
  auto r = ParseArgs({"--hostname", "h", "ls", "-l", "--", "x"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->options.hostname, "h");
  // The "--" after the command belongs to the command.
  EXPECT_EQ(r->options.command, (std::vector<std::string>{"ls", "-l", "--", "x"}));
}

TEST(CliParseTest, CommandFlagsAreNotParsedAsOurs) {
  auto r = ParseArgs({"--", "sh", "--bind", "-c"});
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->options.mounts.empty());
  EXPECT_EQ(r->options.command, (std::vector<std::string>{"sh", "--bind", "-c"}));
}

TEST(CliParseTest, ProcessFlags) {
  auto r = ParseArgs({"--uid", "1000", "--gid", "100", "--share-net", "--chdir", "/w", "--pass-fd",
                      "5", "--pass-fd", "7", "--timeout", "90s", "--timeout-grace", "250ms",
                      "--keep-env", "-v", "--", "true"});
  ASSERT_TRUE(r) << r.error().ToString();
  const CliOptions& o = r->options;
  EXPECT_EQ(o.uid, 1000u);
  EXPECT_EQ(o.gid, 100u);
  EXPECT_TRUE(o.share_net);
  EXPECT_EQ(o.chdir, "/w");
  EXPECT_EQ(o.pass_fds, (std::vector<int>{5, 7}));
  EXPECT_EQ(o.timeout, std::chrono::milliseconds(90'000));
  EXPECT_EQ(o.timeout_grace, std::chrono::milliseconds(250));
  EXPECT_TRUE(o.keep_env);
  EXPECT_TRUE(o.verbose);
}

TEST(CliParseTest, BadValuesAreErrorsWithHints) {
  auto r = ParseArgs({"--timeout", "soon", "--", "true"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ToString(),
            "invalid duration \"soon\"; use a number with ms, s, m, h or d, e.g. 30s or 5m");
  r = ParseArgs({"--bind", "/only-one"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().hint, "see sandbox --help");
  r = ParseArgs({"--no-such-flag", "--", "true"});
  ASSERT_FALSE(r);
}

TEST(CliParseTest, HelpAndVersionExitZero) {
  auto r = ParseArgs({"--help"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_now, 0);
  EXPECT_NE(r->text.find("--ro-bind"), std::string::npos);
  r = ParseArgs({"--version"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_now, 0);
  EXPECT_EQ(r->text.rfind("sandbox ", 0), 0u);
}

TEST(CliParseTest, WorkspaceModeAndDirectoryCombine) {
  auto r = ParseArgs({"--workspace", "overlay", "--workspace", "/src/p", "--changes", "fail",
                      "--keep-changes", "--", "make"});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->options.workspace.mode, "overlay");
  EXPECT_EQ(r->options.workspace.dir, "/src/p");
  EXPECT_EQ(r->options.workspace.changes, "fail");
  EXPECT_TRUE(r->options.workspace.keep_changes);
  EXPECT_EQ(r->options.command, (std::vector<std::string>{"make"}));
  r = ParseArgs({"--workspace", "/src/p", "--", "make"});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->options.workspace.mode, "bind");
  r = ParseArgs({"--changes", "patch=", "--", "make"});
  EXPECT_FALSE(r);
}

TEST(CliParseTest, EgressFlagsKeepTheirOrder) {
  auto r = ParseArgs({"--allow-host", "a.example", "--resolve", "a.example:127.0.0.1",
                      "--allow-host", "*.b.example:8443", "--network", "log", "--", "true"});
  ASSERT_TRUE(r) << r.error().ToString();
  const auto& o = r->options;
  ASSERT_EQ(o.allow_hosts.size(), 2u);
  EXPECT_EQ(o.allow_hosts[0].value, "a.example");
  EXPECT_EQ(o.allow_hosts[0].origin, "--allow-host a.example");
  EXPECT_EQ(o.allow_hosts[1].value, "*.b.example:8443");
  ASSERT_EQ(o.resolve_pins.size(), 1u);
  EXPECT_EQ(o.resolve_pins[0].origin, "--resolve a.example:127.0.0.1");
  EXPECT_EQ(o.network, "log");
  EXPECT_FALSE(ParseArgs({"--network", "host", "--", "true"}));
}

// Only the flags argv names are registered with CLI11 (a start-up cost, docs/performance.md):
// every spelling of a flag must still reach it, and help must still list them all.
TEST(CliParseTest, EverySpellingOfAFlagIsSeen) {
  auto r = ParseArgs({"--hostname=box", "-vp", "ci", "--network=log", "--", "true"});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(r->options.hostname, "box");
  EXPECT_TRUE(r->options.verbose);
  EXPECT_EQ(r->options.profiles, (std::vector<std::string>{"ci"}));
  EXPECT_EQ(r->options.network, "log");
  auto separate = ParseArgs({"-v", "-p", "ci", "--", "true"});
  ASSERT_TRUE(separate) << separate.error().ToString();
  EXPECT_TRUE(separate->options.verbose);
  EXPECT_EQ(separate->options.profiles, (std::vector<std::string>{"ci"}));
}

TEST(CliParseTest, AFlagAfterALiteralDoubleDashValueIsStillAFlag) {
  auto r = ParseArgs({"--setenv", "SEP", "--", "--tmpfs", "/t", "--", "true"});
  ASSERT_TRUE(r) << r.error().ToString();
  ASSERT_EQ(r->options.mounts.size(), 1u);
  EXPECT_EQ(r->options.mounts[0].target, "/t");
  EXPECT_EQ(r->options.command, (std::vector<std::string>{"true"}));
}

TEST(CliParseTest, HelpListsEveryFlagWhateverElseIsGiven) {
  for (const char* help : {"--help", "-h"}) {
    auto r = ParseArgs({"--tmpfs", "/t", help});
    ASSERT_TRUE(r) << r.error().ToString();
    ASSERT_TRUE(r->exit_now.has_value());
    for (const char* flag : {"--bind", "--report-fd", "--allow-host", "--cache", "--keep-env",
                             "--unsetenv", "--symlink", "--workspace-vcs", "--tty"}) {
      EXPECT_NE(r->text.find(flag), std::string::npos) << help << " lacks " << flag;
    }
  }
}

TEST(CliParseTest, AnUnknownFlagIsStillRefused) {
  auto r = ParseArgs({"--bnid", "/a", "/b", "--", "true"});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().ToString().find("--bnid"), std::string::npos) << r.error().ToString();
}

}  // namespace
}  // namespace sandbox::cli

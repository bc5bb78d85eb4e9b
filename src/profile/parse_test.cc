#include "profile/parse.h"

#include <gtest/gtest.h>

#include <string>

namespace sandbox::profile {
namespace {

HostContext TestHost() {
  HostContext host;
  host.cwd = "/work/proj";
  host.home = "/home/alice";
  host.user = "alice";
  host.uid = 1000;
  host.gid = 100;
  host.env = {{"TOKEN", "abc"}, {"EMPTY", ""}};
  return host;
}

ProfileSpec ParseOk(std::string_view text) {
  ParseResult r = Parse(text, "/etc/sandbox/profiles/p.toml", TestHost());
  for (const Error& e : r.errors) ADD_FAILURE() << FormatProfileError(e);
  return std::move(r.spec);
}

// Every error of `text` as FormatProfileError renders it, one after another.
std::string Errors(std::string_view text) {
  ParseResult r = Parse(text, "p.toml", TestHost());
  std::string out;
  for (const Error& e : r.errors) out += FormatProfileError(e) + "\n";
  return out;
}

TEST(ProfileParseTest, EmptyFileIsAnEmptyProfile) {
  ProfileSpec spec = ParseOk("");
  EXPECT_EQ(spec.path, "/etc/sandbox/profiles/p.toml");
  EXPECT_EQ(spec.chain, std::vector<std::string>{"/etc/sandbox/profiles/p.toml"});
  EXPECT_FALSE(spec.hostname);
  EXPECT_FALSE(spec.extends);
  EXPECT_TRUE(spec.mounts.empty());
}

TEST(ProfileParseTest, EveryKeyWithItsLocation) {
  ProfileSpec spec = ParseOk(R"(extends = "base"
[sandbox]
hostname = "box"
network  = "host"
cwd      = "${PWD}/src"
uid = 1000
gid = 0o144
landlock = "on"
proc = "host"
isolation = "auto"
[env]
clear = false
pass  = ["TERM", "LANG"]
set   = { PATH = "/usr/bin:/bin", HOME = "/tmp" }
unset = ["FOO"]
)");
  ASSERT_TRUE(spec.extends);
  EXPECT_EQ(spec.extends->value, "base");
  EXPECT_EQ(spec.extends->where.ToString(), "/etc/sandbox/profiles/p.toml:1:11");
  ASSERT_TRUE(spec.hostname);
  EXPECT_EQ(spec.hostname->value, "box");
  EXPECT_EQ(spec.hostname->where.ToString(), "/etc/sandbox/profiles/p.toml:3:12");
  EXPECT_EQ(spec.network->value, "host");
  EXPECT_EQ(spec.cwd->value, "/work/proj/src");
  EXPECT_EQ(spec.uid->value, 1000);
  EXPECT_EQ(spec.uid->where.line, 6);
  EXPECT_EQ(spec.gid->value, 100);
  EXPECT_EQ(spec.landlock->value, "on");
  EXPECT_EQ(spec.proc->value, "host");
  EXPECT_EQ(spec.isolation->value, "auto");
  EXPECT_EQ(Errors("[sandbox]\nisolation = \"none\"\n"),
            "p.toml:2:13: \"isolation\" cannot be \"none\"; use \"namespaces\", \"landlock\" (no "
            "namespaces, docs/ci.md) or \"auto\" (landlock only where user namespaces are "
            "refused)\n"
            "isolation = \"none\"\n"
            "            ^\n");
  EXPECT_EQ(Errors("[sandbox]\nproc = \"masked\"\n"),
            "p.toml:2:8: \"proc\" cannot be \"masked\"; use \"fresh\" (a proc of the sandbox's "
            "own) or \"host\" (the caller's, for containers whose /proc is masked)\n"
            "proc = \"masked\"\n"
            "       ^\n");
  ASSERT_TRUE(spec.env.clear);
  EXPECT_FALSE(spec.env.clear->value);
  ASSERT_EQ(spec.env.pass.size(), 2u);
  EXPECT_EQ(spec.env.pass[1].value, "LANG");
  EXPECT_EQ(spec.env.pass[1].where.ToString(), "/etc/sandbox/profiles/p.toml:13:18");
  // In the order written, not toml++'s sorted order.
  ASSERT_EQ(spec.env.set.size(), 2u);
  EXPECT_EQ(spec.env.set[0].first, "PATH");
  EXPECT_EQ(spec.env.set[0].second.value, "/usr/bin:/bin");
  EXPECT_EQ(spec.env.set[1].first, "HOME");
  EXPECT_EQ(spec.env.set[1].second.where.column, 42);
  ASSERT_EQ(spec.env.unset.size(), 1u);
  EXPECT_EQ(spec.env.unset[0].value, "FOO");
}

TEST(ProfileParseTest, EnvSetAsATableHeader) {
  ProfileSpec spec = ParseOk("[env.set]\nZED = \"1\"\nALPHA = \"2\"\n");
  ASSERT_EQ(spec.env.set.size(), 2u);
  EXPECT_EQ(spec.env.set[0].first, "ZED");
  EXPECT_EQ(spec.env.set[1].first, "ALPHA");
}

TEST(ProfileParseTest, EveryMountType) {
  ProfileSpec spec = ParseOk(R"(
[[mount]]
type = "ro-bind"
source = "/usr"

[[mount]]
type = "bind"
source = "${HOME}/.cache/ccache"
target = "/tmp/.cache/ccache"
optional = true

[[mount]]
type = "dev-bind"
source = "/dev/fuse"

[[mount]]
type = "tmpfs"
target = "/tmp"
size = "64M"
mode = "1777"

[[mount]]
type = "proc"
target = "/proc"

[[mount]]
type = "dev"
target = "/dev"

[[mount]]
type = "dir"
target = "/work"
mode = 0o700

[[mount]]
type = "symlink"
source = "usr/bin"
target = "/bin"

[[mount]]
type = "file"
target = "/etc/hostname"
content = "box\n"
mode = "0444"

[[mount]]
type = "mask"
target = "/proc/kcore"
)");
  ASSERT_EQ(spec.mounts.size(), 10u);
  const MountSpec& ro = spec.mounts[0];
  EXPECT_EQ(ro.kind, MountKind::kReadOnlyBind);
  EXPECT_EQ(ro.source->value, "/usr");
  EXPECT_EQ(ro.target.value, "/usr");  // defaults to the source, with its location
  EXPECT_EQ(ro.target.where.ToString(), "/etc/sandbox/profiles/p.toml:4:10");
  EXPECT_EQ(ro.where.ToString(), "/etc/sandbox/profiles/p.toml:3:8");
  EXPECT_EQ(ro.table_where.ToString(), "/etc/sandbox/profiles/p.toml:2:1");
  EXPECT_FALSE(ro.optional);
  EXPECT_EQ(ro.optional_where.line, 0);

  const MountSpec& cache = spec.mounts[1];
  EXPECT_EQ(cache.kind, MountKind::kBind);
  EXPECT_EQ(cache.source->value, "/home/alice/.cache/ccache");
  EXPECT_EQ(cache.target.value, "/tmp/.cache/ccache");
  EXPECT_TRUE(cache.optional);
  EXPECT_EQ(cache.optional_where.line, 10);

  EXPECT_EQ(spec.mounts[2].kind, MountKind::kDevBind);
  const MountSpec& tmp = spec.mounts[3];
  EXPECT_EQ(tmp.kind, MountKind::kTmpfs);
  EXPECT_FALSE(tmp.source);
  EXPECT_EQ(tmp.size_bytes, 64u << 20);
  EXPECT_EQ(tmp.size_where.line, 19);
  EXPECT_EQ(tmp.mode, 01777u);
  EXPECT_EQ(spec.mounts[4].kind, MountKind::kProc);
  EXPECT_EQ(spec.mounts[5].kind, MountKind::kDev);
  EXPECT_EQ(spec.mounts[6].mode, 0700u);
  const MountSpec& link = spec.mounts[7];
  EXPECT_EQ(link.kind, MountKind::kSymlink);
  EXPECT_EQ(link.source->value, "usr/bin");  // link text may be relative
  EXPECT_EQ(link.target.value, "/bin");
  const MountSpec& file = spec.mounts[8];
  EXPECT_EQ(file.content, "box\n");
  EXPECT_EQ(file.content_where.line, 43);
  EXPECT_EQ(file.mode, 0444u);
  EXPECT_EQ(spec.mounts[9].kind, MountKind::kMask);
}

TEST(ProfileParseTest, InlineArrayOfMounts) {
  ProfileSpec spec = ParseOk(R"(mount = [
  { type = "tmpfs", target = "/run", size = 4096 },
  { type = "proc", target = "/proc" },
])");
  ASSERT_EQ(spec.mounts.size(), 2u);
  EXPECT_EQ(spec.mounts[0].size_bytes, 4096u);
  EXPECT_EQ(spec.mounts[0].table_where.ToString(), "/etc/sandbox/profiles/p.toml:2:3");
  EXPECT_EQ(spec.mounts[1].kind, MountKind::kProc);
}

TEST(ProfileParseTest, ProfileDirIsTheFilesDirectory) {
  HostContext host = TestHost();
  auto spec = ParseString("[sandbox]\ncwd = \"${PROFILE_DIR}\"\n", "/a/b/p.toml", host);
  ASSERT_TRUE(spec) << spec.error().ToString();
  EXPECT_EQ(spec->cwd->value, "/a/b");
  spec = ParseString("[sandbox]\ncwd = \"${PROFILE_DIR}\"\n", "/p.toml", host);
  EXPECT_EQ(spec->cwd->value, "/");
  spec = ParseString("[sandbox]\ncwd = \"${PROFILE_DIR}\"\n", "p.toml", host);
  EXPECT_EQ(spec->cwd->value, "/work/proj");
}

TEST(ProfileParseTest, ExtendsAndEnumsAreNotExpanded) {
  ProfileSpec spec = ParseOk("extends = \"$x\"\n");
  EXPECT_EQ(spec.extends->value, "$x");
}

TEST(ProfileParseTest, ParseStringGivesTheFirstError) {
  auto r = ParseString("a = 1\nb = 2\n", "p.toml", TestHost());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "unknown key \"a\" at the top level");
  EXPECT_EQ(r.error().where->line, 1);
}

// The representative mistakes, byte for byte as `sandbox check` prints them.
TEST(ProfileParseTest, UnknownKeyWithHint) {
  EXPECT_EQ(Errors("[sandbox]\nhostnme = \"x\"\n"),
            "p.toml:2:1: unknown key \"hostnme\" in [sandbox]; did you mean \"hostname\"?\n"
            "hostnme = \"x\"\n"
            "^\n");
}

TEST(ProfileParseTest, UnknownKeyWithoutNearMatch) {
  EXPECT_EQ(Errors("[sandbox]\n  colour = \"red\"\n"),
            "p.toml:2:3: unknown key \"colour\" in [sandbox]; valid keys: hostname, network, "
            "cwd, uid, gid, landlock, proc, isolation\n"
            "  colour = \"red\"\n"
            "  ^\n");
}

TEST(ProfileParseTest, UnknownTablesAreUnknownKeys) {
  EXPECT_EQ(Errors("[seccom]\npolicy = \"default\"\n\n[limits]\nnofle = 10\n"),
            "p.toml:1:2: unknown key \"seccom\" at the top level; did you mean \"seccomp\"?\n"
            "[seccom]\n"
            " ^\n"
            "p.toml:5:1: unknown key \"nofle\" in [limits]; did you mean \"nofile\"?\n"
            "nofle = 10\n"
            "^\n");
}

TEST(ProfileParseTest, SeccompTableKeepsNamesWithTheirPlace) {
  ProfileSpec spec = ParseOk(
      "[seccomp]\npolicy = \"default\"\naction = \"log\"\ndeny = [\"uname\"]\n"
      "allow = [\"keyctl\", \"personality\"]\n");
  ASSERT_TRUE(spec.seccomp.policy);
  EXPECT_EQ(spec.seccomp.policy->value, "default");
  ASSERT_TRUE(spec.seccomp.action);
  EXPECT_EQ(spec.seccomp.action->value, "log");
  ASSERT_EQ(spec.seccomp.deny.size(), 1u);
  EXPECT_EQ(spec.seccomp.deny[0].value, "uname");
  EXPECT_EQ(spec.seccomp.deny[0].where.line, 4);
  ASSERT_EQ(spec.seccomp.allow.size(), 2u);
  EXPECT_EQ(spec.seccomp.allow[1].value, "personality");
  EXPECT_EQ(spec.seccomp.allow[1].where.line, 5);
  EXPECT_EQ(spec.seccomp.allow[1].where.column, 20);
}

TEST(ProfileParseTest, SeccompMistakesAreErrorsWithTheFix) {
  EXPECT_EQ(Errors("[seccomp]\naction = \"trap\"\n"),
            "p.toml:2:10: \"action\" cannot be \"trap\"; use \"errno\", \"kill\" or \"log\"\n"
            "action = \"trap\"\n"
            "         ^\n");
  EXPECT_EQ(Errors("[seccomp]\ndeny = [\"keyctl\"]\nallow = [\"keyctl\"]\n"),
            "p.toml:3:10: \"keyctl\" is already named at line 2; name each system call once, in "
            "deny or in allow\n"
            "allow = [\"keyctl\"]\n"
            "         ^\n");
  EXPECT_EQ(Errors("[seccomp]\ndeny = \"keyctl\"\n"),
            "p.toml:2:8: \"deny\" must be an array of system call names, not a string\n"
            "deny = \"keyctl\"\n"
            "       ^\n");
  EXPECT_EQ(Errors("[seccomp]\nfilter = \"none\"\n"),
            "p.toml:2:1: unknown key \"filter\" in [seccomp]; valid keys: policy, action, deny, "
            "allow\n"
            "filter = \"none\"\n"
            "^\n");
}

TEST(ProfileParseTest, LimitsAreKeptAsTextWithTheirPlace) {
  ParseResult r =
      Parse("[limits]\nnproc = 64\ncpus = 1.5\ntimeout = \"10m\"\n", "p.toml", TestHost());
  ASSERT_TRUE(r.errors.empty()) << r.errors[0].ToString();
  ASSERT_EQ(r.spec.limits.size(), 3u);
  EXPECT_EQ(r.spec.limits[0].first, "nproc");
  EXPECT_EQ(r.spec.limits[0].second.value, "64");
  EXPECT_EQ(r.spec.limits[0].second.where.line, 2);
  EXPECT_EQ(r.spec.limits[1].second.value, "1.5");
  EXPECT_EQ(r.spec.limits[2].second.value, "10m");
}

TEST(ProfileParseTest, KeyInTheWrongTable) {
  EXPECT_EQ(Errors("hostname = \"x\"\n[sandbox]\nextends = \"base\"\n[[mount]]\ntype = "
                   "\"proc\"\ntarget = \"/proc\"\nclear = true\n"),
            "p.toml:1:1: unknown key \"hostname\" at the top level; \"hostname\" belongs in "
            "[sandbox]\n"
            "hostname = \"x\"\n"
            "^\n"
            "p.toml:3:1: unknown key \"extends\" in [sandbox]; \"extends\" belongs at the top "
            "level, before any [table]\n"
            "extends = \"base\"\n"
            "^\n"
            "p.toml:7:1: unknown key \"clear\" in [[mount]]; \"clear\" belongs in [env]\n"
            "clear = true\n"
            "^\n");
}

TEST(ProfileParseTest, UnknownMountKeyWithHint) {
  EXPECT_EQ(Errors("[[mount]]\ntype = \"ro-bind\"\nsorce = \"/usr\"\nsource = \"/usr\"\n"),
            "p.toml:3:1: unknown key \"sorce\" in [[mount]]; did you mean \"source\"?\n"
            "sorce = \"/usr\"\n"
            "^\n");
}

TEST(ProfileParseTest, WrongType) {
  EXPECT_EQ(Errors("[sandbox]\nuid = \"0\"\nhostname = 7\n[env]\nclear = \"yes\"\n"),
            "p.toml:2:7: \"uid\" must be an integer, not a string\n"
            "uid = \"0\"\n"
            "      ^\n"
            "p.toml:3:12: \"hostname\" must be a string, not an integer\n"
            "hostname = 7\n"
            "           ^\n"
            "p.toml:5:9: \"clear\" must be a boolean, not a string\n"
            "clear = \"yes\"\n"
            "        ^\n");
}

TEST(ProfileParseTest, WrongTypeOfTableAndList) {
  EXPECT_EQ(Errors("sandbox = 1\nmount = \"x\"\n[env]\npass = \"TERM\"\nunset = [\"A\", 2]\n"),
            "p.toml:1:11: \"sandbox\" must be a table, not an integer\n"
            "sandbox = 1\n"
            "          ^\n"
            "p.toml:2:9: \"mount\" must be an array of tables, not a string; write each mount "
            "as a [[mount]] section\n"
            "mount = \"x\"\n"
            "        ^\n"
            "p.toml:4:8: \"pass\" must be an array of strings, not a string\n"
            "pass = \"TERM\"\n"
            "       ^\n"
            "p.toml:5:15: each entry of \"unset\" must be a string, not an integer\n"
            "unset = [\"A\", 2]\n"
            "              ^\n");
}

TEST(ProfileParseTest, RelativeTarget) {
  EXPECT_EQ(Errors("[[mount]]\ntype = \"tmpfs\"\ntarget = \"tmp\"\n"),
            "p.toml:3:10: target \"tmp\" is not an absolute path; targets are paths inside the "
            "sandbox, starting with \"/\"\n"
            "target = \"tmp\"\n"
            "         ^\n");
}

TEST(ProfileParseTest, RelativeBindSource) {
  EXPECT_EQ(Errors("[[mount]]\ntype = \"bind\"\nsource = \"~/src\"\n"),
            "p.toml:3:10: source \"~/src\" is not an absolute path; start it with ${PWD}/ or "
            "${PROFILE_DIR}/ for a path relative to the working directory or to this file\n"
            "source = \"~/src\"\n"
            "         ^\n");
}

TEST(ProfileParseTest, UnknownVariable) {
  EXPECT_EQ(Errors("[sandbox]\ncwd = \"${HOEM}/x\"\nhostname = \"${NOPE}\"\n"),
            "p.toml:2:7: unknown variable ${HOEM}; did you mean ${HOME}?\n"
            "cwd = \"${HOEM}/x\"\n"
            "      ^\n"
            "p.toml:3:12: unknown variable ${NOPE}; known variables: ${PWD}, ${HOME}, ${USER}, "
            "${UID}, ${GID}, ${PROFILE_DIR}, ${env:NAME}\n"
            "hostname = \"${NOPE}\"\n"
            "           ^\n");
}

TEST(ProfileParseTest, UnsetEnvironmentVariable) {
  EXPECT_EQ(Errors("[env]\nset = { T = \"${env:TOKEN}\", U = \"${env:MISSING}\" }\n"),
            "p.toml:2:33: environment variable MISSING is not set; ${env:MISSING} is read from "
            "the environment sandbox runs in\n"
            "set = { T = \"${env:TOKEN}\", U = \"${env:MISSING}\" }\n"
            "                                ^\n");
}

TEST(ProfileParseTest, MissingSource) {
  EXPECT_EQ(Errors("\n[[mount]]\ntype = \"ro-bind\"\ntarget = \"/usr\"\n"),
            "p.toml:2:1: [[mount]] of type \"ro-bind\" has no \"source\"; add source = "
            "\"/path/on/the/host\"\n"
            "[[mount]]\n"
            "^\n");
}

TEST(ProfileParseTest, MissingTypeAndTarget) {
  EXPECT_EQ(Errors("[[mount]]\ntarget = \"/x\"\n[[mount]]\ntype = \"tmpfs\"\n"),
            "p.toml:1:1: [[mount]] has no \"type\"; add type = \"...\", one of ro-bind, bind, "
            "dev-bind, tmpfs, proc, dev, dir, symlink, file, mask, socket\n"
            "[[mount]]\n"
            "^\n"
            "p.toml:3:1: [[mount]] of type \"tmpfs\" has no \"target\"; add target = "
            "\"/path/in/the/sandbox\"\n"
            "[[mount]]\n"
            "^\n");
}

TEST(ProfileParseTest, BadSize) {
  EXPECT_EQ(Errors("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\nsize = \"64Q\"\n"),
            "p.toml:4:8: invalid size \"64Q\"; use a number of bytes with an optional K, M, G or "
            "T suffix, e.g. 64M\n"
            "size = \"64Q\"\n"
            "       ^\n");
}

TEST(ProfileParseTest, ZeroOrNegativeSize) {
  EXPECT_EQ(Errors("[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\nsize = 0\n"
                   "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/run\"\nsize = -1\n"),
            "p.toml:4:8: size must be more than 0; leave \"size\" out for the kernel's default, "
            "half of the RAM\n"
            "size = 0\n"
            "       ^\n"
            "p.toml:8:8: invalid size \"-1\"; use a number of bytes with an optional K, M, G or T "
            "suffix, e.g. 64M\n"
            "size = -1\n"
            "       ^\n");
}

TEST(ProfileParseTest, BadMode) {
  EXPECT_EQ(Errors("[[mount]]\ntype = \"dir\"\ntarget = \"/w\"\nmode = \"0999\"\n"
                   "[[mount]]\ntype = \"dir\"\ntarget = \"/v\"\nmode = 755\n"),
            "p.toml:4:8: invalid mode \"0999\"; use octal digits, e.g. 0755 or 1777\n"
            "mode = \"0999\"\n"
            "       ^\n"
            "p.toml:8:8: \"mode\" must be a string of octal digits, not an integer; write it in "
            "quotes, e.g. mode = \"0755\"\n"
            "mode = 755\n"
            "       ^\n");
}

TEST(ProfileParseTest, UnknownMountType) {
  EXPECT_EQ(Errors("[[mount]]\ntype = \"robind\"\nsource = \"/usr\"\n"
                   "[[mount]]\ntype = \"overlay\"\n"),
            "p.toml:2:8: unknown mount type \"robind\"; did you mean \"ro-bind\"?\n"
            "type = \"robind\"\n"
            "       ^\n"
            "p.toml:5:8: unknown mount type \"overlay\"; use one of ro-bind, bind, dev-bind, "
            "tmpfs, proc, dev, dir, symlink, file, mask, socket\n"
            "type = \"overlay\"\n"
            "       ^\n");
}

TEST(ProfileParseTest, KeyThatDoesNotApplyToTheType) {
  EXPECT_EQ(Errors("[[mount]]\ntype = \"bind\"\nsource = \"/src\"\nsize = \"1G\"\n"
                   "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/t\"\noptional = true\n"
                   "content = \"x\"\n"),
            "p.toml:4:1: \"size\" does not apply to a bind mount; \"size\" is only for tmpfs "
            "mounts\n"
            "size = \"1G\"\n"
            "^\n"
            "p.toml:8:1: \"optional\" does not apply to a tmpfs mount; \"optional\" is only for "
            "bind, ro-bind and dev-bind mounts\n"
            "optional = true\n"
            "^\n"
            "p.toml:9:1: \"content\" does not apply to a tmpfs mount; \"content\" is only for file "
            "mounts\n"
            "content = \"x\"\n"
            "^\n");
}

TEST(ProfileParseTest, TomlSyntaxError) {
  EXPECT_EQ(Errors("[sandbox]\nhostname = \"box\" x\n"),
            "p.toml:2:18: syntax error while parsing key-value pair: expected a comment or "
            "whitespace, saw 'x'\n"
            "hostname = \"box\" x\n"
            "                 ^\n");
  EXPECT_EQ(Errors("[sandbox]\nhostname = \"a\"\nhostname = \"b\"\n"),
            "p.toml:3:12: syntax error while parsing key-value pair: cannot redefine existing "
            "string 'hostname'\n"
            "hostname = \"b\"\n"
            "           ^\n");
}

TEST(ProfileParseTest, InvalidValues) {
  EXPECT_EQ(
      Errors("[sandbox]\nnetwork = \"bridge\"\nuid = -1\ngid = 4294967295\n"
             "hostname = \"\"\ncwd = \"src\"\nlandlock = \"yes\"\n"),
      "p.toml:2:11: \"network\" cannot be \"bridge\"; use \"none\" (a network of its own with only "
      "lo) or \"host\"\n"
      "network = \"bridge\"\n"
      "          ^\n"
      "p.toml:3:7: \"uid\" must be between 0 and 4294967294\n"
      "uid = -1\n"
      "      ^\n"
      "p.toml:4:7: \"gid\" must be between 0 and 4294967294\n"
      "gid = 4294967295\n"
      "      ^\n"
      "p.toml:5:12: hostname \"\" must be 1 to 64 characters\n"
      "hostname = \"\"\n"
      "           ^\n"
      "p.toml:6:7: cwd \"src\" is not an absolute path; it is a directory inside the "
      "sandbox, e.g. \"${PWD}\"\n"
      "cwd = \"src\"\n"
      "      ^\n"
      "p.toml:7:12: \"landlock\" cannot be \"yes\"; use \"auto\", \"on\" or \"off\"\n"
      "landlock = \"yes\"\n"
      "           ^\n");
}

TEST(ProfileParseTest, EnvNamesOnceAndValid) {
  EXPECT_EQ(Errors("[env]\npass = [\"LANG\", \"A=B\"]\nset = { LANG = \"C\" }\n"
                   "unset = [\"X\", \"X\"]\n"),
            "p.toml:2:17: invalid environment variable name \"A=B\"; names must be non-empty and "
            "contain no \"=\"\n"
            "pass = [\"LANG\", \"A=B\"]\n"
            "                ^\n"
            "p.toml:3:9: \"LANG\" is already named in \"pass\"; name each variable once in [env]: "
            "in pass, deny, set or unset\n"
            "set = { LANG = \"C\" }\n"
            "        ^\n"
            "p.toml:4:15: \"X\" is already named in \"unset\"; name each variable once in [env]: "
            "in pass, deny, set or unset\n"
            "unset = [\"X\", \"X\"]\n"
            "              ^\n");
}

TEST(ProfileParseTest, EnvPassAndDenyTakePatterns) {
  ProfileSpec spec =
      ParseOk("[env]\npass = [\"GITHUB_*\", \"CC\"]\ndeny = [\"*TOKEN*\", \"*_KEY\"]\n");
  EXPECT_EQ(spec.env.pass.size(), 2u);
  ASSERT_EQ(spec.env.deny.size(), 2u);
  EXPECT_EQ(spec.env.deny[1].value, "*_KEY");
  EXPECT_EQ(spec.env.deny[1].where.ToString(), "/etc/sandbox/profiles/p.toml:3:20");
  EXPECT_EQ(Errors("[env]\nset = { \"A*\" = \"1\" }\nunset = [\"B?\"]\ndeny = [\"X\", \"X\"]\n"),
            "p.toml:2:9: \"set\" takes variable names, not patterns like \"A*\"; patterns (* and "
            "?) are for \"pass\" and \"deny\"\n"
            "set = { \"A*\" = \"1\" }\n"
            "        ^\n"
            "p.toml:3:10: \"unset\" takes variable names, not patterns like \"B?\"; patterns (* "
            "and ?) are for \"pass\" and \"deny\"\n"
            "unset = [\"B?\"]\n"
            "         ^\n"
            "p.toml:4:14: \"X\" is already named in \"deny\"; name each variable once in [env]: "
            "in pass, deny, set or unset\n"
            "deny = [\"X\", \"X\"]\n"
            "             ^\n");
}

TEST(ProfileParseTest, DollarMistakes) {
  EXPECT_EQ(Errors("[sandbox]\nhostname = \"$HOME\"\ncwd = \"/${PWD\"\n"),
            "p.toml:2:12: \"$\" not followed by \"{\" in \"$HOME\"; write ${NAME} for a variable, "
            "$$ for a dollar sign\n"
            "hostname = \"$HOME\"\n"
            "           ^\n"
            "p.toml:3:7: unclosed \"${\" in \"/${PWD\"; end the name with \"}\"\n"
            "cwd = \"/${PWD\"\n"
            "      ^\n");
}

TEST(ProfileParseTest, EmptyExtends) {
  EXPECT_EQ(Errors("extends = \"\"\n"),
            "p.toml:1:11: \"extends\" is empty; name a profile, e.g. extends = \"base\", or "
            "remove the line\n"
            "extends = \"\"\n"
            "          ^\n");
}

TEST(ProfileParseTest, ErrorsComeInFileOrder) {
  // toml++ keeps keys sorted; the errors still follow the file.
  std::string out = Errors("[sandbox]\nzz = 1\naa = 2\n");
  EXPECT_LT(out.find("\"zz\""), out.find("\"aa\""));
}

TEST(ProfileParseTest, CaretCountsCodePointsAndKeepsTabs) {
  EXPECT_EQ(Errors("[sandbox]\n\thostname = \"é\" x\n"),
            "p.toml:2:17: syntax error while parsing key-value pair: expected a comment or "
            "whitespace, saw 'x'\n"
            "\thostname = \"é\" x\n"
            "\t               ^\n");
}

// Debian's toml++ 3.3.0 has undefined behaviour on non-ASCII text in a few places
// (marzer/tomlplusplus#190, #295); those inputs stop before toml++ sees them.
TEST(ProfileParseTest, NonAsciiWhereTomlppWouldMisbehave) {
  EXPECT_EQ(Errors("[sandbox]\nuid = 0 \xc3\xb1\n"),
            "p.toml:2:9: syntax error: non-ASCII character outside a string; only strings and "
            "comments may hold non-ASCII text\n"
            "uid = 0 \xc3\xb1\n"
            "        ^\n");
  EXPECT_EQ(
      Errors("[[mount]]\ntype = \"file\"\ntarget = \"/f\"\ncontent = \"\"\"\\\n  \xc2\xa7\"\"\"\n"),
      "p.toml:5:3: syntax error: non-ASCII character after a backslash in a multi-line "
      "string; write it as a \\uXXXX escape\n"
      "  \xc2\xa7\"\"\"\n"
      "  ^\n");
  EXPECT_FALSE(Errors("a = \"\"\"\\\xc3\xa9\"\"\"\n").empty());
  EXPECT_FALSE(Errors("mount = [\xc3\xa9]\n").empty());
  // A quote inside another token does not start a string: toml++ reads on to a delimiter.
  EXPECT_TRUE(Errors("a = +'''\xc9\x86'''\n")
                  .starts_with("p.toml:1:9: syntax error: non-ASCII character outside a string"));
}

TEST(ProfileParseTest, NonAsciiInStringsAndCommentsIsFine) {
  ProfileSpec spec = ParseOk(
      "\xef\xbb\xbf# caf\xc3\xa9\n"
      "[sandbox]\n"
      "hostname = \"caf\xc3\xa9\"  # \xc3\xa9\n"
      "[env]\n"
      "set = { A = 'caf\xc3\xa9', B = \"\"\"x\"\"\"\", \"C\xc3\xa9\" = "
      "\"\"\"\\\\\xc3\xa9\\n\xc3\xa9\"\"\" }\n"
      "[[mount]]\n"
      "type = \"file\"\n"
      "target = \"/f\"\n"
      "content = '''\n\xc3\xa9\n'''\n");
  EXPECT_EQ(spec.hostname->value, "caf\xc3\xa9");
  ASSERT_EQ(spec.env.set.size(), 3u);
  EXPECT_EQ(spec.env.set[1].second.value, "x\"");
  EXPECT_EQ(spec.env.set[2].first, "C\xc3\xa9");
  EXPECT_EQ(spec.env.set[2].second.value, "\\\xc3\xa9\n\xc3\xa9");
  EXPECT_EQ(spec.mounts[0].content, "\xc3\xa9\n");
}

TEST(ProfileParseTest, FormatWithoutLineIsToString) {
  Error e = MakeError("profile \"x\" not found");
  e.hint = "looked for /a/x.toml";
  EXPECT_EQ(FormatProfileError(e), "profile \"x\" not found; looked for /a/x.toml");
}

TEST(ProfileParseTest, GarbageNeverThrows) {
  const std::string inputs[] = {"\xff\xfe", "[[mount]]\n[[mount]]\ntype=1", "a.b.c.d = 1",
                                "mount = [[1]]", "[env]\nset.x.y = 1", "= = =", "\"\\u0000\" = 1",
                                "[sandbox]\nhostname = \"\"\"\n\n\"\"\"",
                                std::string("a = \"\0\"", 7), std::string(1, '\0'),
                                // toml++ 3.3.0 asserts on these in debug builds
                                // (marzer/tomlplusplus#294, #301); Debian's release build
                                // reports a syntax error.
                                "[&", "[[[1]]]", "[[=", "[\x14sandbox]"};
  for (const std::string& in : inputs) {
    ParseResult r = Parse(in, "fuzz.toml", TestHost());
    for (const Error& e : r.errors) {
      ASSERT_TRUE(e.where) << e.message;
      EXPECT_FALSE(FormatProfileError(e).empty());
    }
  }
}

TEST(ProfileParseTest, NetworkAllowAndResolve) {
  ProfileSpec spec = ParseOk(R"([network]
allow = ["registry.npmjs.org", "*.example.org:8443"]
resolve = ["registry.test:127.0.0.1"]
)");
  ASSERT_EQ(spec.network_rules.allow.size(), 2u);
  EXPECT_EQ(spec.network_rules.allow[1].value, "*.example.org:8443");
  EXPECT_EQ(spec.network_rules.allow[1].where.line, 2);
  ASSERT_EQ(spec.network_rules.resolve.size(), 1u);
  EXPECT_EQ(spec.network_rules.resolve[0].where.line, 3);
  EXPECT_NE(Errors("[network]\nallowed = []\n"), "");
  EXPECT_NE(Errors("[network]\nallow = \"a.test\"\n"), "");
}

}  // namespace
}  // namespace sandbox::profile

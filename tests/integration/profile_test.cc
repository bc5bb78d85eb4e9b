// Profiles from inside real sandboxes: the shipped toolchain profiles run their toolchains on
// small projects, and `extends` behaves as docs/profiles.md says.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "profile_fixture.h"

namespace sandbox::testing {
namespace {

using ProfileTest = ProfileFixture;

TEST_F(ProfileTest, CcBuildsAndRunsACProgram) {
  if (!HostHas("/usr/bin/cc") || !HostHas("/usr/bin/make")) {
    GTEST_SKIP() << "cc or make is not installed on this machine";
  }
  std::string project = MakeDir("hello", /*job_writable=*/true);
  MakeFile("hello/hello.c",
           "#include <stdio.h>\nint main(void) { puts(\"built inside\"); return 7; }\n");
  MakeFile("hello/Makefile", "hello: hello.c\n\tcc -O2 -o hello hello.c\nrun: hello\n\t./hello\n");
  RunResult r = RunInProject(project, "cc", {"sh", "-c", "make hello && ./hello"});
  EXPECT_EQ(r.exit_code, 7) << r;
  EXPECT_NE(r.out.find("built inside"), std::string::npos) << r;
  // The binary was written through the rw checkout bind: it is on the host now.
  EXPECT_EQ(::access((project + "/hello").c_str(), F_OK), 0) << r;
}

// AddressSanitizer under the default seccomp policy: it maps its shadow memory, reads
// /proc/self/maps, may turn ASLR off with personality(), and LeakSanitizer stops the world
// with ptrace at exit. A clean program passes; an overflow and a leak are still caught.
TEST_F(ProfileTest, CcBuildsAndTestsWithAddressSanitizerUnderTheFilter) {
  if (!HostHas("/usr/bin/cc") || !HostHas("/usr/bin/make")) {
    GTEST_SKIP() << "cc or make is not installed on this machine";
  }
  std::string project = MakeDir("asan", /*job_writable=*/true);
  MakeFile("asan/ok.c",
           "#include <stdlib.h>\n#include <string.h>\nint main(void) { char* p = malloc(8); "
           "strcpy(p, \"fine\"); free(p); return 0; }\n");
  MakeFile("asan/overflow.c",
           "#include <stdlib.h>\nint main(int argc, char** argv) { char* p = malloc(8); "
           "p[8 + argc - 1] = 1; free(p); return 0; }\n");
  MakeFile("asan/leak.c",
           "#include <stdlib.h>\nvoid* keep;\nint main(void) { keep = malloc(64); keep = 0; "
           "return 0; }\n");
  MakeFile("asan/Makefile",
           "CFLAGS = -g -fsanitize=address -fno-omit-frame-pointer\n"
           "all: ok overflow leak\n"
           "check: all\n\t./ok && echo ok-passed\n"
           "\t! ./overflow 2>overflow.log && grep -q heap-buffer-overflow overflow.log && "
           "echo overflow-caught\n"
           "\t! ./leak 2>leak.log && grep -q 'detected memory leaks' leak.log && "
           "echo leak-caught\n");
  RunResult r = RunInProject(project, "cc", {"make", "-s", "check"});
  EXPECT_EQ(r.exit_code, 0) << r << ReadHostFile(project + "/overflow.log")
                            << ReadHostFile(project + "/leak.log");
  EXPECT_NE(r.out.find("ok-passed\noverflow-caught\nleak-caught\n"), std::string::npos) << r;
  EXPECT_EQ(r.err.find("seccomp denied"), std::string::npos) << r;
}

TEST_F(ProfileTest, CcSeesOnlyWhatTheProfileBinds) {
  std::string project = MakeDir("p", true);
  MakeFile("outside-canary", "x");
  RunResult r = RunInProject(project, "cc",
                             {"/bin/sh", "-c",
                              "test -e " + scratch() +
                                  "/outside-canary; echo $?; "
                                  "touch /usr/x 2>/dev/null; echo $?; pwd"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "1\n1\n" + project + "\n") << r;
}

TEST_F(ProfileTest, PythonRunsAScript) {
  if (!HostHas("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 is not installed";
  std::string project = MakeDir("py", true);
  MakeFile("py/t.py", "import json, sys\nprint(json.dumps({'ok': sys.version_info[0]}))\n");
  RunResult r = RunInProject(project, "python", {"/usr/bin/python3", "t.py"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "{\"ok\": 3}\n") << r;
}

TEST_F(ProfileTest, NodeRunsAScript) {
  if (!HostHas("/usr/bin/node")) GTEST_SKIP() << "/usr/bin/node is not installed";
  std::string project = MakeDir("js", true);
  MakeFile("js/t.js", "console.log(JSON.stringify({sum: [1, 2, 3].reduce((a, b) => a + b)}));\n");
  RunResult r = RunInProject(project, "node", {"/usr/bin/node", "t.js"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "{\"sum\":6}\n") << r;
}

TEST_F(ProfileTest, RustCompilesWithRustc) {
  // rustup installs under the user's home; the unprivileged run user has none.
  if (!HostHas("/usr/bin/rustc")) GTEST_SKIP() << "no system-wide rustc (/usr/bin/rustc)";
  std::string project = MakeDir("rs", true);
  MakeFile("rs/main.rs", "fn main() { println!(\"rust {}\", 6 * 7); }\n");
  RunResult r = RunInProject(project, "rust", {"sh", "-c", "rustc -o m main.rs && ./m"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "rust 42\n") << r;
}

TEST_F(ProfileTest, GoBuildsAProgram) {
  if (!HostHas("/usr/local/go/bin/go") && !HostHas("/usr/bin/go")) {
    GTEST_SKIP() << "go is not installed (/usr/local/go/bin/go, /usr/bin/go)";
  }
  std::string project = MakeDir("go", true);
  MakeFile("go/main.go",
           "package main\nimport \"fmt\"\nfunc main() { fmt.Println(\"go\", 6*7) }\n");
  RunResult r = RunInProject(project, "go", {"sh", "-c", "go run main.go"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "go 42\n") << r;
}

TEST_F(ProfileTest, CiRunsATestStepWithoutNetwork) {
  std::string project = MakeDir("ci", true);
  MakeFile("ci/test.sh",
           "echo step ran\ncat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '\n");
  RunResult r = RunInProject(project, "ci", {"sh", "test.sh"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "step ran\nlo\n") << r;
}

// The ci profile's /etc is a directory the sandbox made for its single-file binds: a
// read-only mount, with or without Landlock (which answers EACCES, a mount EROFS).
TEST_F(ProfileTest, CiEtcIsAReadOnlyMountWithAndWithoutLandlock) {
  std::string project = MakeDir("ci-etc", true);
  for (const char* landlock : {"auto", "off"}) {
    RunResult r = RunInProject(project, "ci", {"sh", "-c", "echo x > /etc/planted"},
                               {"--landlock", landlock});
    EXPECT_NE(r.exit_code, 0) << landlock << "\n" << r;
    EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << landlock << "\n" << r;
    // The checkout stays writable.
    r = RunInProject(project, "ci", {"sh", "-c", "echo x > written"}, {"--landlock", landlock});
    EXPECT_EQ(r.exit_code, 0) << landlock << "\n" << r;
  }
}

// In a user namespace of the run user's own (unshare -r), the host's root owns / and shows as
// the overflow uid, like every user outside: a profile of the user's own loads (before, / made
// every profile "not safe", with a hint no copy could follow); one of another outside owner
// (root's copy here, not the installation's) is still refused, saying why.
TEST_F(ProfileTest, AUsersOwnProfileLoadsInAUserNamespaceOfTheirs) {
  if (!AsRoot()) GTEST_SKIP() << "needs root to give the profile to the run user";
  std::string dir = MakeDir("mine", /*job_writable=*/true);
  std::string own = MakeFile("mine/base.toml", ReadHostFile(Profiles() + "/base.toml"));
  ASSERT_EQ(::chown(own.c_str(), RunUid(), RunGid()), 0);
  RunResult r = RunProcess(AsRunUser({"/usr/bin/unshare", "-Ur", BinDir() + "/sandbox", "--profile",
                                      own, "--", "/bin/sh", "-c", "echo inside"}),
                           DefaultOptions());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "inside\n") << r;
  RunResult theirs =
      RunProcess(AsRunUser({"/usr/bin/unshare", "-Ur", BinDir() + "/sandbox", "--profile",
                            Profiles() + "/base.toml", "--", "/bin/true"}),
                 DefaultOptions());
  EXPECT_EQ(theirs.exit_code, kExitSandboxFailure) << theirs;
  EXPECT_NE(theirs.err.find("not mapped in this user namespace"), std::string::npos) << theirs;
}

TEST_F(ProfileTest, ExtendsOverridesAScalarAndAppendsAMount) {
  std::string project = MakeDir("ext", true);
  std::string child = MakeFile(
      "child.toml", "extends = \"" + Profiles() +
                        "/base.toml\"\n[sandbox]\nhostname = \"child-host\"\n"
                        "[[mount]]\ntype = \"dir\"\ntarget = \"/added\"\nmode = \"0700\"\n");
  std::vector<std::string> args = {
      "--profile", child, "--",
      "/bin/sh",   "-c",  "hostname; stat -c %a /added; test -d /usr/bin && echo usr"};
  RunResult r = RunSandbox(args);
  EXPECT_EQ(r.exit_code, 0) << r;
  // hostname overridden, the base's /usr still there, the child's mount appended.
  EXPECT_EQ(r.out, "child-host\n700\nusr\n") << r;
}

TEST_F(ProfileTest, ProfileLimitsApplyAndFlagsOverrideThem) {
  std::string limited = MakeFile(
      "limited.toml", "extends = \"" + Profiles() + "/base.toml\"\n[limits]\nnofile = 77\n");
  RunResult r = RunSandbox({"--profile", limited, "--", "/bin/sh", "-c", "ulimit -n"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "77\n") << r;
  r = RunSandbox(
      {"--profile", limited, "--limit", "nofile=55", "--", "/bin/sh", "-c", "ulimit -n"});
  EXPECT_EQ(r.out, "55\n") << r;
  std::string bad = MakeFile("bad-limit.toml", "[limits]\nnofile = \"many\"\n");
  r = RunSandbox({"--profile", bad, "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find(bad + ":2:10"), std::string::npos) << r;
}

TEST_F(ProfileTest, FlagsApplyAfterTheProfile) {
  std::vector<std::string> args = {"--profile",
                                   Profiles() + "/base.toml",
                                   "--hostname",
                                   "flag",
                                   "--setenv",
                                   "FROM_FLAG",
                                   "1",
                                   "--",
                                   "/bin/sh",
                                   "-c",
                                   "hostname; echo $FROM_FLAG $HOME"};
  RunResult r = RunSandbox(args);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "flag\n1 /tmp\n") << r;
}

TEST_F(ProfileTest, AMistakeInAProfileStopsTheRunWithItsLocation) {
  std::string bad = MakeFile("bad.toml", "[sandbox]\nhostnme = \"x\"\n");
  RunResult r = RunSandbox({"--profile", bad, "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_EQ(r.err, "sandbox: " + bad +
                       ":2:1: unknown key \"hostnme\" in [sandbox]; did you mean \"hostname\"?\n"
                       "hostnme = \"x\"\n^\n")
      << r;
}

TEST_F(ProfileTest, MissingNonOptionalSourceNamesTheProfileLine) {
  std::string bad = MakeFile("missing.toml",
                             "[[mount]]\ntype = \"ro-bind\"\nsource = \"/nonexistent/sbx-src\"\n");
  RunResult r = RunSandbox({"--profile", bad, "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find("/nonexistent/sbx-src"), std::string::npos) << r;
  EXPECT_NE(r.err.find(bad + ":2:8"), std::string::npos) << r;
}

TEST_F(ProfileTest, CheckReportsEveryError) {
  std::string bad = MakeFile("two.toml", "[sandbox]\nhostnme = \"x\"\nnetwork = \"wifi\"\n");
  RunResult ok = RunSandbox({"check", Profiles() + "/cc.toml"});
  EXPECT_EQ(ok.exit_code, 0) << ok;
  RunResult r = RunSandbox({"check", bad});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find(":2:1: unknown key"), std::string::npos) << r;
  EXPECT_NE(r.err.find(":3:11: \"network\" cannot be \"wifi\""), std::string::npos) << r;
}

TEST_F(ProfileTest, ShowListsMountsInOrder) {
  RunResult r = RunSandbox({"show", Profiles() + "/cc.toml", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  size_t usr = r.out.find("\"target\": \"/usr\"");
  size_t tmp = r.out.find("\"target\": \"/tmp\"");
  EXPECT_NE(usr, std::string::npos) << r;
  EXPECT_NE(tmp, std::string::npos) << r;
  EXPECT_LT(usr, tmp) << r;
}

}  // namespace
}  // namespace sandbox::testing

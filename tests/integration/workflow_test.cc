// Everyday workflows from inside real sandboxes, as the unprivileged run user: a CI step's
// variables without its secrets, flag values that start with '-', name lookups without a
// network, an activated venv, git's identity, cargo's legacy config, core dumps on request,
// and the messages a first try gets wrong.
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "profile_fixture.h"

namespace sandbox::testing {
namespace {

class WorkflowTest : public ProfileFixture {
 protected:
  static SpawnOptions InProject(const std::string& project, std::vector<std::string> env = {}) {
    SpawnOptions options = DefaultOptions();
    options.cwd = project;
    for (std::string& e : env) options.env.push_back(std::move(e));
    return options;
  }
  std::string Profile(const std::string& name) { return Profiles() + "/" + name + ".toml"; }
};

TEST_F(WorkflowTest, FlagValuesStartingWithADashAreTakenAsWritten) {
  std::vector<std::string> flags = {"--setenv", "LDFLAGS", "-s", "--setenv", "CFLAGS", "-O2 -g"};
  RunResult r = RunProbe(flags, {"env"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("LDFLAGS=-s\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("CFLAGS=-O2 -g\n"), std::string::npos) << r;
}

// The ci profile lets in what GitHub Actions, GitLab CI, Buildkite and Jenkins set for a step
// and the build's own variables, never a secret-looking one; --pass-env adds the script's own
// variables. The report names (never shows the values of) what came in and what did not.
TEST_F(WorkflowTest, CiStepGetsItsVariablesButNotTheRunnersSecrets) {
  std::string project = MakeDir("ci-step", true);
  std::string report = project + "/report.json";
  SpawnOptions options =
      InProject(project, {"CI=true", "GITHUB_SHA=abc123", "GITHUB_TOKEN=ghs_secret-value",
                          "GITLAB_CI=true", "CI_JOB_TOKEN=glcbt-secret-value", "BUILDKITE=true",
                          "BUILDKITE_AGENT_ACCESS_TOKEN=bk-secret-value", "JENKINS_URL=http://j/",
                          "CC=gcc-12", "LDFLAGS=-s", "SUFFIX=.tar", "MY_STEP_MODE=fast",
                          "NPM_TOKEN=npm-secret-value", "UNRELATED=1"});
  RunResult r = RunSandbox(
      {"--profile", Profile("ci"), "--report", report, "--pass-env", "SUFFIX", "--pass-env", "MY_*",
       "--", "sh", "-c",
       "set -u; echo \"$CI $GITHUB_SHA $GITLAB_CI $BUILDKITE $JENKINS_URL $CC $LDFLAGS $SUFFIX "
       "$MY_STEP_MODE\"; env | grep -c -e secret-val[u]e -e UNRELATED || true"},
      options);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "true abc123 true true http://j/ gcc-12 -s .tar fast\n0\n") << r;
  std::string text = ReadHostFile(report);
  EXPECT_EQ(text.find("secret-value"), std::string::npos) << "a value in the report\n" << text;
  RunResult check =
      RunProcess({"/usr/bin/env", "python3", "-c",
                  "import json, sys\n"
                  "env = json.load(open(sys.argv[1]))['env']\n"
                  "for want in ('GITHUB_SHA', 'CC', 'SUFFIX', 'MY_STEP_MODE', 'BUILDKITE'):\n"
                  "  assert want in env['passed'], want\n"
                  "assert env['denied'] == ['BUILDKITE_AGENT_ACCESS_TOKEN', 'CI_JOB_TOKEN', "
                  "'GITHUB_TOKEN'], env['denied']\n"
                  "assert 'UNRELATED' in env['dropped'] and 'NPM_TOKEN' in env['dropped'], env\n"
                  "assert 'PATH' in env['names'] and 'GITHUB_TOKEN' not in env['names'], env\n",
                  report},
                 DefaultOptions());
  EXPECT_EQ(check.exit_code, 0) << check << text;

  // --keep-env takes the caller's whole environment, but still not a secret-looking name.
  r = RunSandbox({"--profile", Profile("ci"), "--keep-env", "--", "sh", "-c",
                  "echo \"${UNRELATED-} ${GITHUB_TOKEN-none} ${NPM_TOKEN-none}\""},
                 options);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "1 none none\n") << r;
}

// The documented CI step of a language: --profile ci --profile node. The two are composed
// (docs/profiles.md, "Composing profiles"): node's npm cache and offline settings, ci's caches
// and CI variables, and still no secret; the report and `show` name every profile used.
TEST_F(WorkflowTest, CiComposedWithALanguageProfile) {
  std::string home = MakeDir("home", true);
  MakeDir("home/.npm");
  MakeFile("home/.npm/marker", "host npm cache\n");
  std::string project = MakeDir("ci-node", true);
  std::string report = project + "/report.json";
  SpawnOptions options = InProject(
      project, {"HOME=" + home, "GITHUB_SHA=abc123", "GITHUB_TOKEN=ghs_secret", "NODE_ENV=test"});
  RunResult r = RunSandbox(
      {"--profile", Profile("ci"), "--profile", Profile("node"), "--report", report, "--", "sh",
       "-c",
       "cat /tmp/.npm/marker; for t in /tmp/.npm /tmp/.cache/ccache /tmp/.cache/go-build; do "
       "grep -q \" $t \" /proc/self/mountinfo && echo \"$t mounted\"; done; "
       "echo \"$npm_config_cache $npm_config_offline $GITHUB_SHA ${GITHUB_TOKEN-denied} $NODE_ENV "
       "$GOCACHE\""},
      options);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out,
            "host npm cache\n/tmp/.npm mounted\n/tmp/.cache/ccache mounted\n"
            "/tmp/.cache/go-build mounted\n"
            "/tmp/.npm true abc123 denied test /tmp/.cache/go-build\n")
      << r;
  RunResult check =
      RunProcess({"/usr/bin/env", "python3", "-c",
                  "import json, sys\n"
                  "p = json.load(open(sys.argv[1]))['profile']\n"
                  "d = sys.argv[2]\n"
                  "assert p['names'] == [d + '/ci.toml', d + '/node.toml'], p\n"
                  "assert p['files'] == [d + '/base.toml', d + '/ci.toml', d + '/node.toml'], p\n"
                  "assert p['name'] == d + '/ci.toml, ' + d + '/node.toml', p\n",
                  report, Profiles()},
                 DefaultOptions());
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(report);

  // Either order gives the same sandbox; `show` prints the composed result.
  r = RunSandbox({"--profile", Profile("node"), "--profile", Profile("ci"), "--", "sh", "-c",
                  "echo \"$npm_config_offline ${GITHUB_TOKEN-denied} $GITHUB_SHA\""},
                 options);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "true denied abc123\n") << r;
  r = RunSandbox({"show", Profile("ci"), Profile("node")}, options);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("profile:   " + Profile("ci") + ", " + Profile("node") + "\n"),
            std::string::npos)
      << r;
  EXPECT_NE(r.out.find("files:     " + Profile("base") + " " + Profile("ci") + " " +
                       Profile("node") + "\n"),
            std::string::npos)
      << r;
  EXPECT_NE(r.out.find("  npm          /tmp/.npm: "), std::string::npos) << r;
  EXPECT_NE(r.out.find("  ccache       /tmp/.cache/ccache: "), std::string::npos) << r;
}

// Every shipped language composes with ci; two profiles that cannot be merged sanely (go and
// python each set their own PATH) stop the run with one line naming both and the key.
TEST_F(WorkflowTest, ComposedProfilesThatDisagreeAreRefused) {
  std::string project = MakeDir("compose", true);
  for (const char* lang : {"cc", "go", "python", "rust", "node"}) {
    RunResult r = RunSandbox({"--profile", Profile("ci"), "--profile", Profile(lang), "--", "true"},
                             InProject(project));
    EXPECT_EQ(r.exit_code, 0) << lang << "\n" << r;
  }
  RunResult r =
      RunSandbox({"--profile", Profile("go"), "--profile", Profile("python"), "--", "true"},
                 InProject(project));
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_TRUE(r.err.starts_with("sandbox: --profile " + Profile("go") + " and --profile " +
                                Profile("python") + " disagree on [env] set PATH (" +
                                Profile("go") + ":"))
      << r;
  EXPECT_EQ(Lines(r.err).size(), 1u) << r;
}

// With network "none", a lookup of a name that is not in /etc/hosts fails at once and for
// good (EAI_NONAME, node's ENOTFOUND), not with the EAI_AGAIN that npm and pip retry for
// minutes; local names still resolve.
TEST_F(WorkflowTest, WithoutNetworkANameLookupFailsForGood) {
  if (!HostHas("/usr/bin/python3")) GTEST_SKIP() << "/usr/bin/python3 is not installed";
  std::string project = MakeDir("dns", true);
  RunResult r = RunSandbox(
      {"--profile", Profile("base"), "--", "python3", "-c",
       "import socket\n"
       "for name in ('registry.npmjs.org', 'localhost', 'sandbox'):\n"
       "  try:\n"
       "    print(name, socket.getaddrinfo(name, 443)[0][4][0])\n"
       "  except socket.gaierror as e:\n"
       "    print(name, 'EAI_NONAME' if e.errno == socket.EAI_NONAME else\n"
       "          'EAI_AGAIN' if e.errno == socket.EAI_AGAIN else e.errno, e.strerror)\n"},
      InProject(project));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out,
            "registry.npmjs.org EAI_NONAME Name or service not known\n"
            "localhost 127.0.0.1\nsandbox 127.0.1.1\n")
      << r;

  if (!HostHas("/usr/bin/node")) return;
  r = RunSandbox({"--profile", Profile("node"), "--", "node", "-e",
                  "require('dns').lookup('registry.npmjs.org', (e) => console.log(e.code))"},
                 InProject(project));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "ENOTFOUND\n") << r;
}

// After `. .venv/bin/activate` (VIRTUAL_ENV set, its bin first in the caller's PATH), the
// venv's programs come first inside too, since the profile's PATH replaces the caller's.
TEST_F(WorkflowTest, AnActivatedVenvComesFirstInPath) {
  std::string project = MakeDir("venv", true);
  MakeDir("venv/.venv");
  MakeDir("venv/.venv/bin");
  std::string tool = MakeFile("venv/.venv/bin/pytest", "#!/bin/sh\necho venv pytest \"$@\"\n");
  ASSERT_EQ(::chmod(tool.c_str(), 0755), 0);
  std::string venv = project + "/.venv";
  RunResult r = RunSandbox(
      {"--profile", Profile("python"), "--", "sh", "-c", "pytest -q; echo \"${PATH%%:*}\""},
      InProject(project, {"VIRTUAL_ENV=" + venv}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "venv pytest -q\n" + venv + "/bin\n") << r;

  EXPECT_EQ(r.err.find("virtualenv"), std::string::npos) << "a venv the job sees: no note\n" << r;

  // A venv the sandbox does not show changes nothing in PATH, and the caller hears why the
  // job's python is not the venv's, with the flag that shows it.
  r = RunSandbox({"--profile", Profile("python"), "--", "sh", "-c", "echo \"${PATH%%:*}\""},
                 InProject(project, {"VIRTUAL_ENV=/opt/elsewhere/.venv"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.find("/opt/elsewhere"), std::string::npos) << r;
  EXPECT_NE(r.err.find("sandbox: note: the active virtualenv /opt/elsewhere/.venv is not in the "
                       "sandbox"),
            std::string::npos)
      << r;
  EXPECT_NE(r.err.find("--ro-bind /opt/elsewhere/.venv /opt/elsewhere/.venv"), std::string::npos)
      << r;
}

TEST_F(WorkflowTest, AnAssignmentAsTheCommandIsExplained) {
  RunResult r = RunSandbox({"--profile", Profile("base"), "--", "PYTHONPATH=src", "python3", "x"});
  EXPECT_EQ(r.exit_code, kExitNotFound) << r;
  EXPECT_EQ(r.err,
            "sandbox: cannot execute PYTHONPATH=src: No such file or directory; "
            "\"PYTHONPATH=src\" looks like a variable assignment, which only a shell understands: "
            "set it with --setenv PYTHONPATH 'src' before --, or run env PYTHONPATH=src "
            "COMMAND...\n")
      << r;
}

TEST_F(WorkflowTest, NothingMountedIsExplained) {
  RunResult r = RunSandbox({"--", "true"});
  EXPECT_EQ(r.exit_code, kExitNotFound) << r;
  EXPECT_NE(r.err.find("sandbox: cannot execute true: No such file or directory; nothing of the "
                       "host is mounted, so the sandbox has no programs: use a profile"),
            std::string::npos)
      << r;
}

// git commit needs an identity; the profiles that bind a checkout pass git's variables, so
// ~/.gitconfig (which can hold credentials) need not be shown.
TEST_F(WorkflowTest, GitIdentityVariablesComeIn) {
  std::string project = MakeDir("git", true);
  for (const char* profile : {"cc", "ci", "python", "node", "rust", "go"}) {
    RunResult r = RunSandbox(
        {"--profile", Profile(profile), "--", "sh", "-c",
         "echo \"$GIT_AUTHOR_NAME <$GIT_AUTHOR_EMAIL> $GIT_COMMITTER_NAME "
         "<$GIT_COMMITTER_EMAIL>\""},
        InProject(project, {"GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.org",
                            "GIT_COMMITTER_NAME=Bot", "GIT_COMMITTER_EMAIL=bot@example.org"}));
    ASSERT_EQ(r.exit_code, 0) << profile << "\n" << r;
    EXPECT_EQ(r.out, "Ada <ada@example.org> Bot <bot@example.org>\n") << profile << "\n" << r;
  }
  if (!HostHas("/usr/bin/git")) return;
  RunResult r = RunSandbox(
      {"--profile", Profile("cc"), "--", "sh", "-c",
       "git init -q . && git commit -q --allow-empty -m m && git log -1 --format='%an %ce'"},
      InProject(project, {"GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.org",
                          "GIT_COMMITTER_NAME=Bot", "GIT_COMMITTER_EMAIL=bot@example.org"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "Ada bot@example.org\n") << r;
}

// cargo reads ~/.cargo/config when there is no config.toml (vendored sources often live
// there); the rust profile shows it where CARGO_HOME is.
TEST_F(WorkflowTest, CargosLegacyConfigIsShown) {
  std::string home = MakeDir("home");
  MakeDir("home/.cargo");
  MakeFile("home/.cargo/config", "[source.crates-io]\nreplace-with = \"vendored\"\n");
  std::string project = MakeDir("crate", true);
  RunResult r =
      RunSandbox({"--profile", Profile("rust"), "--", "sh", "-c", "cat \"$CARGO_HOME/config\""},
                 InProject(project, {"HOME=" + home}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "[source.crates-io]\nreplace-with = \"vendored\"\n") << r;
}

// Core dumps are off by default (hard limit 0); --limit core=unlimited turns them on.
TEST_F(WorkflowTest, CoreDumpsOnRequest) {
  RunResult r = RunProbe({}, {"rlimit", "core"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "soft=0 hard=0\n") << r;
  r = RunProbe({"--limit", "core=unlimited"}, {"rlimit", "core"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "soft=unlimited hard=unlimited\n") << r;

  std::string pattern = ReadHostFile("/proc/sys/kernel/core_pattern");
  if (pattern.empty() || pattern[0] == '|' || pattern.find('/') != std::string::npos) {
    GTEST_SKIP() << "core_pattern is not a plain file name: " << pattern;
  }
  std::string project = MakeDir("core", true);
  r = RunSandbox({"--profile", Profile("cc"), "--limit", "core=unlimited", "--", "sh", "-c",
                  "ulimit -c unlimited && sh -c 'kill -SEGV $$'; ls | grep -c core"},
                 InProject(project));
  EXPECT_EQ(r.out, "1\n") << r;
}

}  // namespace
}  // namespace sandbox::testing

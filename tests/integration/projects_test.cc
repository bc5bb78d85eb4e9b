// Real-world proof: the small projects under tests/projects/, each with the layout of a real
// one, built and tested under its shipped profile as the unprivileged run user, as a developer
// or a CI step would (docs/workflows.md). Each test fails when the profile breaks the workflow;
// one whose toolchain is not installed is skipped with the package to install.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "profile_fixture.h"

#ifndef SANDBOX_SOURCE_PROJECTS
#error "SANDBOX_SOURCE_PROJECTS must name the source tree's tests/projects/"
#endif

namespace sandbox::testing {
namespace {

class ProjectTest : public ProfileFixture {
 protected:
  void SetUp() override {
    ProfileFixture::SetUp();
    if (IsSkipped()) return;
    home_ = MakeDir("home", /*job_writable=*/true);
    work_ = MakeDir("work", /*job_writable=*/true);
  }

  // A copy of tests/projects/NAME at WORK/DEST, owned by the run user.
  std::string CopyProject(const std::string& name, const std::string& dest) {
    std::string to = work_ + "/" + dest;
    RunResult r = RunProcess(
        {"/bin/sh", "-c", "cp -R \"$1\" \"$2\" && chmod -R a+rX \"$2\" && chown -R \"$3\" \"$2\"",
         "sh", std::string(SANDBOX_SOURCE_PROJECTS) + "/" + name, to,
         std::to_string(RunUid()) + ":" + std::to_string(RunGid())},
        DefaultOptions());
    EXPECT_EQ(r.exit_code, 0) << r;
    return to;
  }

  SpawnOptions In(const std::string& dir, std::vector<std::string> env = {}) const {
    SpawnOptions options = DefaultOptions();
    options.cwd = dir;
    options.env.push_back("HOME=" + home_);
    for (std::string& e : env) options.env.push_back(std::move(e));
    // A build on a loaded CI machine takes a while; the ctest timeout still bounds the test.
    options.timeout = std::chrono::seconds(170);
    return options;
  }

  // sandbox --profile P... -- sh -c SCRIPT, in `dir`.
  RunResult Sandboxed(const std::string& dir, const std::vector<std::string>& profiles,
                      const std::string& script, std::vector<std::string> env = {},
                      std::vector<std::string> flags = {}) {
    std::vector<std::string> args;
    for (const std::string& p : profiles) {
      args.insert(args.end(), {"--profile", Profiles() + "/" + p + ".toml"});
    }
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"--", "/bin/sh", "-c", script});
    return RunSandbox(args, In(dir, std::move(env)));
  }

  // `script` on the host as the run user (what the developer does outside the sandbox).
  RunResult OnHost(const std::string& dir, const std::string& script,
                   std::vector<std::string> env = {}) {
    return RunProcess(AsRunUser({"/bin/sh", "-c", script}), In(dir, std::move(env)));
  }

  // tests/projects/npm copied, its dependency packed and added to the host's npm cache
  // (~/.npm) offline, and the lock's integrity filled in; returns the app's directory.
  std::string WarmNpmProject() {
    std::string npm = CopyProject("npm", "npm");
    RunResult r =
        OnHost(npm + "/tiny-pad",
               "npm pack --silent --pack-destination .. >/dev/null && "
               "npm cache add ../tiny-pad-1.0.0.tgz --cache \"$HOME/.npm\" && "
               "integrity=$(node -e \"const c = require('crypto'), fs = require('fs'); "
               "console.log('sha512-' + c.createHash('sha512').update(fs.readFileSync("
               "process.argv[1])).digest('base64'))\" ../tiny-pad-1.0.0.tgz) && "
               "sed -i \"s|sha512-SET-BY-THE-TEST|$integrity|\" ../app/package-lock.json && "
               "grep -c \"$integrity\" ../app/package-lock.json");
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(r.out, "1\n") << r;
    return npm + "/app";
  }

  std::string home_;
  std::string work_;
};

#define REQUIRE_TOOL(path, package)                                                  \
  if (!HostHas(path)) {                                                              \
    GTEST_SKIP() << path << " is not installed (apt-get install " << package << ")"; \
  }

// autoreconf, configure and make check in a git work tree (its .git read-only inside), then in
// a linked worktree (its .git a file naming the main repository's, outside the workspace)
// built out of tree, in _build/.
TEST_F(ProjectTest, AutotoolsMakeCheckInAWorkTreeAndALinkedWorktree) {
  REQUIRE_TOOL("/usr/bin/autoreconf", "autoconf automake");
  REQUIRE_TOOL("/usr/bin/git", "git");
  std::string repo = CopyProject("autotools", "greet");
  RunResult r = OnHost(repo,
                       "git init -q . && git add . && "
                       "git -c user.name=t -c user.email=t@example.org commit -q -m import");
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Sandboxed(repo, {"cc"},
                "autoreconf -i 2>autoreconf.log || { cat autoreconf.log >&2; exit 1; }; "
                "./configure -q && make -s check >/dev/null && cat test-suite.log");
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("# PASS:  1\n# SKIP:  0\n# XFAIL: 0\n# FAIL:  0\n"), std::string::npos) << r;

  r = OnHost(repo, "git worktree add -q ../greet-feature 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string linked = work_ + "/greet-feature";
  r = Sandboxed(linked, {"cc"},
                "test -f .git || exit 9; "           // a linked worktree's .git is a file
                "git rev-parse --abbrev-ref HEAD; "  // and its repository readable inside
                "autoreconf -i 2>autoreconf.log || { cat autoreconf.log >&2; exit 1; }; "
                "mkdir _build && cd _build && ../configure -q && make -s check >/dev/null && "
                "cat test-suite.log");
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(r.out.starts_with("greet-feature\n")) << r;
  EXPECT_NE(r.out.find("# PASS:  1\n# SKIP:  0\n# XFAIL: 0\n# FAIL:  0\n"), std::string::npos) << r;
  // Both work trees are still sound for git on the host.
  r = OnHost(linked, "git status --porcelain --untracked-files=no && git worktree list | wc -l");
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "2\n") << r;
}

TEST_F(ProjectTest, CMakeBuildsOutOfTree) {
  REQUIRE_TOOL("/usr/bin/cmake", "cmake");
  std::string project = CopyProject("cmake", "wordcount");
  RunResult r = Sandboxed(project, {"cc"},
                          "cmake -S . -B build -DCMAKE_BUILD_TYPE=Debug >/dev/null && "
                          "cmake --build build >/dev/null && ctest --test-dir build 2>&1 | "
                          "grep 'tests passed'");
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "100% tests passed, 0 tests failed out of 1\n") << r;
  EXPECT_EQ(::access((project + "/build/wc_test").c_str(), F_OK), 0);
  EXPECT_NE(::access((project + "/wc_test").c_str(), F_OK), 0) << "built in the source tree";
}

// tests/projects/pytest copied with a venv made on the host that sees Debian's pytest
// (--system-site-packages: there is no PyPI here). Skips where the machine has no pytest.
#define REQUIRE_PYTEST_VENV(project)                                                     \
  REQUIRE_TOOL("/usr/bin/python3", "python3 python3-venv");                              \
  if (::access("/usr/lib/python3/dist-packages/pytest", R_OK) != 0) {                    \
    GTEST_SKIP() << "Debian's pytest is not installed (apt-get install python3-pytest)"; \
  }                                                                                      \
  std::string project = CopyProject("pytest", "tally");                                  \
  ASSERT_EQ(OnHost(project,                                                              \
                   "/usr/bin/python3 -m venv --system-site-packages --without-pip "      \
                   ".venv")                                                              \
                .exit_code,                                                              \
            0)

// A venv made on the host, activated, then python -m pytest inside: the venv's python runs it.
TEST_F(ProjectTest, PytestInAnActivatedVenv) {
  REQUIRE_PYTEST_VENV(project);
  // What `. .venv/bin/activate` leaves in the environment.
  RunResult r =
      Sandboxed(project, {"python"}, "command -v python && python -m pytest -q 2>&1 | tail -1",
                {"VIRTUAL_ENV=" + project + "/.venv"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(r.out.starts_with(project + "/.venv/bin/python\n")) << r;
  EXPECT_NE(r.out.find("2 passed"), std::string::npos) << r;
}

// The test step of docs/workflows.md with the venv protected: pytest still runs from it, and
// the job cannot change what the host's shell sources later (bin/activate, a .pth file).
TEST_F(ProjectTest, PytestInAProtectedVenv) {
  REQUIRE_PYTEST_VENV(project);
  RunResult r = Sandboxed(project, {"python"},
                          "python -m pytest -q -p no:cacheprovider 2>&1 | tail -1; "
                          "echo planted >>.venv/bin/activate || echo activate-refused; "
                          "site=$(python -c 'import site; print(site.getsitepackages()[0])'); "
                          "echo 'import os' >\"$site/planted.pth\" || echo pth-refused",
                          {"VIRTUAL_ENV=" + project + "/.venv"}, {"--protect", ".venv"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("2 passed"), std::string::npos) << r;
  EXPECT_NE(r.out.find("activate-refused"), std::string::npos) << r;
  EXPECT_NE(r.out.find("pth-refused"), std::string::npos) << r;
  r = OnHost(project, "grep -c planted .venv/bin/activate; ls .venv/lib/python3*/site-packages");
  EXPECT_EQ(r.out.find("planted"), std::string::npos) << r;
}

// npm ci from a package-lock.json with no network: the dependency comes from the host's npm
// cache, warmed offline (npm pack of a local package, npm cache add), seen read-only beneath
// the sandbox's own npm cache.
TEST_F(ProjectTest, NpmCiFromAWarmCache) {
  REQUIRE_TOOL("/usr/bin/npm", "npm");
  std::string app = WarmNpmProject();
  RunResult r = Sandboxed(app, {"node"}, "npm ci --loglevel=error && npm test --silent");
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("pad-report: ok\n"), std::string::npos) << r;
  EXPECT_EQ(::access((app + "/node_modules/tiny-pad/index.js").c_str(), R_OK), 0);
}

// A project whose `prepare` script installs git hooks as husky does (into .husky/_, which the
// sandbox keeps read-only, unless HUSKY=0): npm ci works under the node profile, and the
// hooks directory is left as it was.
TEST_F(ProjectTest, NpmCiInAHuskyProject) {
  REQUIRE_TOOL("/usr/bin/npm", "npm");
  REQUIRE_TOOL("/usr/bin/git", "git");
  std::string app = WarmNpmProject();
  std::ofstream(app + "/install-hooks.js")
      << "if (process.env.HUSKY !== '0') require('fs').writeFileSync('.husky/_/h', 'x')\n";
  RunResult r = OnHost(app,
                       "git init -q . && mkdir -p .husky/_ && "
                       "npm pkg set scripts.prepare='node install-hooks.js'");
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Sandboxed(app, {"node"}, "npm ci --loglevel=error && npm test --silent");
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("pad-report: ok\n"), std::string::npos) << r;
  EXPECT_NE(::access((app + "/.husky/_").c_str(), F_OK), -1);
  EXPECT_EQ(::access((app + "/.husky/_/h").c_str(), F_OK), -1);
}

// The two steps of docs/workflows.md for a project whose node_modules the host also runs: the
// install, then the tests with node_modules protected: they pass, and the job cannot change
// the code the host's `npm test` or `npx` would run later.
TEST_F(ProjectTest, NpmTestWithProtectedNodeModules) {
  REQUIRE_TOOL("/usr/bin/npm", "npm");
  std::string app = WarmNpmProject();
  RunResult r = Sandboxed(app, {"node"}, "npm ci --loglevel=error");
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Sandboxed(app, {"node"},
                "npm test --silent; "
                "echo planted >>node_modules/tiny-pad/index.js || echo module-refused; "
                "mkdir -p node_modules/.bin && : >node_modules/.bin/planted || echo bin-refused",
                {}, {"--protect", "node_modules"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("pad-report: ok\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("module-refused"), std::string::npos) << r;
  EXPECT_NE(r.out.find("bin-refused"), std::string::npos) << r;
  r = OnHost(app, "grep -c planted node_modules/tiny-pad/index.js; ls -A node_modules/.bin");
  EXPECT_EQ(r.out.find("planted"), std::string::npos) << r;
}

// cargo test offline, the dependency vendored in the crate and named in the legacy
// ~/.cargo/config (no .toml), which the rust profile shows as $CARGO_HOME/config.
TEST_F(ProjectTest, CargoWithVendoredDependenciesAndALegacyConfig) {
  REQUIRE_TOOL("/usr/bin/cargo", "cargo");
  std::string project = CopyProject("cargo/app", "sum-report");
  RunResult r = OnHost(project,
                       "mkdir -p \"$HOME/.cargo\" && printf '[source.crates-io]\\nreplace-with = "
                       "\"vendored-sources\"\\n\\n[source.vendored-sources]\\ndirectory = "
                       "\"%s/vendor\"\\n' \"$PWD\" > \"$HOME/.cargo/config\"");
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Sandboxed(project, {"rust"}, "cargo test -q 2>&1 | grep 'test result'");
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(r.out.starts_with("test result: ok. 1 passed")) << r;
}

// go test with vendor/ and GOFLAGS=-mod=vendor (passed by the go profile), no module proxy.
TEST_F(ProjectTest, GoModuleWithVendor) {
  REQUIRE_TOOL("/usr/bin/go", "golang-go");
  std::string project = CopyProject("go/app", "app");
  RunResult r = Sandboxed(project, {"go"}, "go test ./... && go run .", {"GOFLAGS=-mod=vendor"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(r.out.starts_with("ok  \texample.org/app\t")) << r;
  EXPECT_TRUE(r.out.ends_with("\n42\n")) << r;
}

// A CI step's script under --profile ci with a report: it reads the CI system's variables and
// its own (--pass-env), and fails if the runner's token reaches it.
TEST_F(ProjectTest, CiScriptSeesItsVariablesButNotTheToken) {
  std::string project = CopyProject("ci-script", "step");
  std::string report = project + "/report.json";
  RunResult r = RunSandbox({"--profile", Profiles() + "/ci.toml", "--pass-env", "SUFFIX",
                            "--report", report, "--", "./ci.sh"},
                           In(project, {"CI=true", "GITHUB_SHA=0123abc", "GITHUB_REF_NAME=main",
                                        "GITHUB_TOKEN=ghs_not-for-the-step", "SUFFIX=.txt"}));
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "commit 0123abc on main\nwrote out/artifact.txt\n") << r;
  EXPECT_EQ(ReadHostFile(project + "/out/artifact.txt"), "built 0123abc\n");
  EXPECT_EQ(ReadHostFile(report).find("ghs_not-for-the-step"), std::string::npos);
  EXPECT_NE(ReadHostFile(report).find("\"GITHUB_TOKEN\""), std::string::npos)
      << "the report names the denied variable";
}

// The documented CI step of a language, --profile ci --profile LANG, runs the same projects
// (the ci step of npm ci is the one issue 15 saw retry DNS for 155 s and fail).
TEST_F(ProjectTest, CiStepsComposeCiWithTheLanguageProfile) {
  REQUIRE_TOOL("/usr/bin/go", "golang-go");
  REQUIRE_TOOL("/usr/bin/npm", "npm");
  std::string project = CopyProject("go/app", "app");
  const std::vector<std::string> ci_env = {"CI=true", "GITHUB_TOKEN=ghs_x"};
  std::vector<std::string> env = ci_env;
  env.push_back("GOFLAGS=-mod=vendor");
  RunResult r = Sandboxed(project, {"ci", "go"},
                          "test \"$CI\" = true && test -z \"${GITHUB_TOKEN-}\" && go vet ./... && "
                          "go test ./...",
                          env);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_TRUE(r.out.starts_with("ok  \texample.org/app\t")) << r;

  std::string app = WarmNpmProject();
  r = Sandboxed(app, {"ci", "node"},
                "test \"$CI\" = true && test -z \"${GITHUB_TOKEN-}\" && npm ci --loglevel=error && "
                "npm test --silent",
                ci_env);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("pad-report: ok\n"), std::string::npos) << r;
}

}  // namespace
}  // namespace sandbox::testing

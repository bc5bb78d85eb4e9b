// Workspace safety from inside real sandboxes (docs/workspace.md): what a job may write (the
// checkout, .git, caches, the report's directory) never becomes something the host later runs
// or trusts. Each hostile step here succeeds against a sandbox without the protection.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "workspace_fixture.h"

namespace sandbox::testing {
namespace {

TEST_F(WorkspaceTest, PlantedGitHooksNeverRunOnTheHost) {
  if (::access(kGit, X_OK) != 0) GTEST_SKIP() << "git is not installed";
  std::string repo = MakeRepo("proj");
  std::string sub = MakeDir("proj/sub", /*job_writable=*/true);
  std::string marker = scratch() + "/pwned";
  RunResult r = Sandbox(sub, {"--profile", "cc", "--", "/bin/sh", "-c", PlantGitHooks(marker)});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("moved it to " + repo + "/sub/.git.sandbox-moved-"), std::string::npos) << r;
  ExpectHostGitRunsNothing(repo, marker);
  // Git's read-only commands work inside.
  r = Sandbox(repo, {"--profile", "cc", "--", kGit, "log", "--oneline"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("one"), std::string::npos) << r;
}

TEST_F(WorkspaceTest, PlantedGitHooksNeverRunFromALinkedWorktree) {
  if (::access(kGit, X_OK) != 0) GTEST_SKIP() << "git is not installed";
  std::string repo = MakeRepo("main");
  MakeDir("wt-parent", /*job_writable=*/true);
  std::string wt = scratch() + "/wt-parent/wt";
  RunResult added = Host(repo, {kGit, "worktree", "add", "-q", wt});
  ASSERT_EQ(added.exit_code, 0) << added;
  RunResult sub = Host(wt, {"/bin/mkdir", "sub"});
  ASSERT_EQ(sub.exit_code, 0) << sub;
  std::string marker = scratch() + "/pwned";
  // The worktree's .git is a file: the job also tries to point it at a gitdir of its own.
  RunResult r = Sandbox(wt + "/sub", {"--profile", "cc", "--", "/bin/sh", "-c",
                                      "git status --short >/dev/null && echo git-works; "
                                      "mkdir ../fake; echo 'gitdir: fake' > ../.git; " +
                                          PlantGitHooks(marker)});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("git-works"), std::string::npos) << r;
  EXPECT_NE(ReadHostFile(wt + "/.git").find("gitdir: " + repo), std::string::npos);
  RunResult status = Host(wt, {kGit, "status", "--short"});
  EXPECT_EQ(status.exit_code, 0) << status;
  ExpectHostGitRunsNothing(wt, marker);
}

// Hooks kept in the work tree: husky sets core.hooksPath to .husky/_ (git-ignored, so a change
// there never shows in `git status`) whose stubs run .husky/pre-commit; the repository-local
// .githooks of a team's own convention; pre-commit's configuration; a versioned .gitconfig
// the repository includes (a core.hooksPath written there points git at the job's hooks). The job
// changes each; the host's next commit runs none of it.
TEST_F(WorkspaceTest, HooksInTheWorkTreeNeverRunOnTheHost) {
  if (::access(kGit, X_OK) != 0) GTEST_SKIP() << "git is not installed";
  std::string repo = MakeRepo("proj");
  std::string marker = scratch() + "/pwned";
  RunResult r = Host(repo, {"/bin/sh", "-c",
                            "mkdir -p .husky/_ && echo '*' > .husky/_/.gitignore && "
                            "printf '#!/bin/sh\\n. \"$(dirname \"$0\")/../pre-commit\"\\n' "
                            "> .husky/_/pre-commit && echo 'true' > .husky/pre-commit && "
                            "chmod +x .husky/_/pre-commit .husky/pre-commit && "
                            "echo 'repos: []' > .pre-commit-config.yaml && "
                            "git config core.hooksPath .husky/_ && "
                            "printf '[alias]\\n\\tst = status\\n' > .gitconfig && "
                            "git config include.path ../.gitconfig && "
                            "git add .husky .pre-commit-config.yaml .gitconfig && "
                            "git commit -qm hooks"});
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Sandbox(repo, {"--profile", "cc", "--", "/bin/sh", "-c",
                     "for f in .husky/_/pre-commit .husky/pre-commit; do "
                     "  echo 'touch " +
                         marker +
                         "' >>$f || echo refused $f; done; "
                         "echo '- repo: local' >>.pre-commit-config.yaml || echo refused config; "
                         "mkdir evil && printf '#!/bin/sh\\ntouch " +
                         marker +
                         "\\n' > evil/pre-commit && chmod +x evil/pre-commit && "
                         "printf '[core]\\n\\thooksPath = evil\\n' >>.gitconfig || "
                         "echo refused gitconfig; "
                         "mkdir .githooks; exit 0"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("refused .husky/_/pre-commit"), std::string::npos) << r;
  EXPECT_NE(r.out.find("refused .husky/pre-commit"), std::string::npos) << r;
  EXPECT_NE(r.out.find("refused config"), std::string::npos) << r;
  EXPECT_NE(r.out.find("refused gitconfig"), std::string::npos) << r;
  RunResult status = Host(repo, {kGit, "status", "--short"});
  EXPECT_EQ(status.exit_code, 0) << status;
  RunResult commit = Host(repo, {kGit, "commit", "-q", "--allow-empty", "-m", "host commit"});
  EXPECT_EQ(commit.exit_code, 0) << commit;
  EXPECT_FALSE(Exists(marker)) << "a hook the job changed ran on the host";

  // A hooks directory the repository names but that does not exist yet is watched: made by
  // the job, it is moved aside after the run.
  r = Host(repo, {kGit, "config", "core.hooksPath", ".githooks"});
  ASSERT_EQ(r.exit_code, 0) << r;
  Host(repo, {"/bin/rmdir", ".githooks"});
  r = Sandbox(repo, {"--profile", "cc", "--", "/bin/sh", "-c",
                     "mkdir .githooks && echo 'touch " + marker +
                         "' > .githooks/pre-commit && chmod +x .githooks/pre-commit"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("moved it to " + repo + "/.githooks.sandbox-moved-"), std::string::npos)
      << r;
  commit = Host(repo, {kGit, "commit", "-q", "--allow-empty", "-m", "host commit 2"});
  EXPECT_EQ(commit.exit_code, 0) << commit;
  EXPECT_FALSE(Exists(marker)) << "a hook the job planted ran on the host";
}

// lefthook's hooks read its configuration at every run, and merge a `-local` one that is
// untracked by design: a `lefthook: CMD` or a job written there runs at the host's next
// commit, with nothing in `git status`. The committed configuration stays read-only; a local
// one the job creates (at the top or under .config/) and its script directory are moved aside.
TEST_F(WorkspaceTest, LefthookConfigurationStaysTheHosts) {
  if (::access(kGit, X_OK) != 0) GTEST_SKIP() << "git is not installed";
  std::string repo = MakeRepo("proj");
  RunResult r = Host(repo, {"/bin/sh", "-c", "echo 'pre-commit: {}' > lefthook.yml"});
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Sandbox(repo, {"--profile", "cc", "--", "/bin/sh", "-c",
                     "echo 'lefthook: touch /tmp/pwned' >> lefthook.yml || echo refused main; "
                     "echo 'lefthook: touch /tmp/pwned' > lefthook-local.yml && "
                     "mkdir -p .config .lefthook-local/pre-commit && "
                     "echo 'lefthook: x' > .config/lefthook-local.toml && "
                     "echo 'touch /tmp/pwned' > .lefthook-local/pre-commit/run.sh"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("refused main"), std::string::npos) << r;
  EXPECT_EQ(ReadHostFile(repo + "/lefthook.yml"), "pre-commit: {}\n");
  for (const char* planted :
       {"lefthook-local.yml", ".config/lefthook-local.toml", ".lefthook-local"}) {
    EXPECT_FALSE(Exists(repo + "/" + planted)) << planted << " was left for the host's hooks";
    EXPECT_NE(r.err.find("moved it to " + repo + "/" + planted + ".sandbox-moved-"),
              std::string::npos)
        << planted << "\n"
        << r;
  }
}

// An active venv puts the checkout's .venv/bin first on the caller's PATH (direnv's PATH_add
// does the same with bin/): what the job leaves there, the user's shell runs for the name
// typed. Not moved (an install step may be meant to put it there), but said after the run and
// in the report, for each command that hides the system's.
TEST_F(WorkspaceTest, CommandsPlantedOnTheCallersPathAreReported) {
  std::string proj = MakeRepo("proj");
  std::string bin = MakeDir("proj/.venv", /*job_writable=*/true) + "/bin";
  RunResult r = Host(proj, {"/bin/sh", "-c", "mkdir .venv/bin && touch .venv/bin/pip"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string report = scratch() + "/home/report.json";
  std::string path = "PATH=" + bin + ":bin:/usr/local/bin:/usr/bin:/bin";
  std::string library_path = "LD_LIBRARY_PATH=" + proj + "/build/lib";
  r = Sandbox(proj,
              {"--profile", "cc", "--report", report, "--", "/bin/sh", "-c",
               "printf '#!/bin/sh\necho planted\n' > .venv/bin/git && chmod +x .venv/bin/git && "
               "cp .venv/bin/git .venv/bin/my-tool && mkdir bin && cp .venv/bin/git bin/ls && "
               "mkdir -p build/lib && echo x > build/lib/libz.so.1 && "
               "echo x > build/lib/libproject.so.1"},
              {path, library_path});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("warning: the job created " + bin +
                       "/git, which your PATH finds before /usr/bin/git"),
            std::string::npos)
      << r;
  EXPECT_NE(r.err.find("the job created " + proj +
                       "/bin/ls, which your PATH finds before "
                       "/usr/bin/ls"),
            std::string::npos)
      << r;
  EXPECT_NE(r.err.find("the job created " + proj +
                       "/build/lib/libz.so.1, which your LD_LIBRARY_PATH finds before "
                       "/lib/x86_64-linux-gnu/libz.so.1: every program started from your "
                       "shell loads what the job wrote there"),
            std::string::npos)
      << r;
  EXPECT_EQ(r.err.find("my-tool"), std::string::npos) << r;  // hides nothing
  EXPECT_EQ(r.err.find("libproject"), std::string::npos) << r;
  std::string text = ReadHostFile(report);
  EXPECT_NE(text.find("\"path_shadows\": [\n      {\n        \"variable\": \"PATH\",\n"
                      "        \"path\": \"" +
                      bin +
                      "/git\",\n        \"shadows\": \"/usr/bin/git\",\n        "
                      "\"change\": \"created\""),
            std::string::npos)
      << text;
  // What the warning is about: the user's next `git` in that shell is the job's.
  RunResult host = Host(proj, {"/bin/sh", "-c", "export " + path + "; git"});
  EXPECT_EQ(host.out, "planted\n") << host;
}

// Tool configuration that names a program the tool runs (cargo's rustc-wrapper, npm's
// node-options), left where the host's next `cargo build` or `npm test` reads it: not moved
// (builds write some legitimately), but named after the run and in the report, also when the
// job hid it from `git status` with a .gitignore of its own, and in a directory between the
// working directory and the workspace's top (cargo reads every ancestor's).
TEST_F(WorkspaceTest, ToolConfigurationTheJobLeavesIsNamed) {
  if (::access(kGit, X_OK) != 0) GTEST_SKIP() << "git is not installed";
  std::string repo = MakeRepo("proj");
  RunResult r = Host(repo, {"/bin/sh", "-c",
                            "mkdir sub && echo 'fund=false' > .npmrc && touch sub/keep && "
                            "git add .npmrc sub/keep && git commit -qm npmrc"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::string report = scratch() + "/home/report.json";
  r = Sandbox(repo + "/sub",
              {"--profile", "cc", "--report", report, "--", "/bin/sh", "-c",
               "mkdir .cargo && echo '*' > .cargo/.gitignore && "
               "printf '[build]\\nrustc-wrapper = \"./w\"\\n' > .cargo/config.toml && "
               "echo 'node-options=--require ./x.js' >> ../.npmrc"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("warning: the job created " + repo +
                       "/sub/.cargo/config.toml, which cargo reads at its next start there"),
            std::string::npos)
      << r;
  EXPECT_NE(r.err.find("warning: the job changed " + repo + "/.npmrc, which npm reads"),
            std::string::npos)
      << r;
  std::string text = ReadHostFile(report);
  EXPECT_NE(text.find("\"path\": \"" + repo +
                      "/sub/.cargo/config.toml\",\n        \"tool\": \"cargo\",\n        "
                      "\"change\": \"created\""),
            std::string::npos)
      << text;
  // Why it is said: git shows the changed .npmrc, not the new cargo configuration.
  RunResult status = Host(repo, {kGit, "status", "--short"});
  EXPECT_EQ(status.out, " M .npmrc\n") << status;
}

TEST_F(WorkspaceTest, VcsMetadataIsWritableOnlyWhenAskedFor) {
  if (::access(kGit, X_OK) != 0) GTEST_SKIP() << "git is not installed";
  std::string repo = MakeRepo("proj");
  std::string commit =
      "git -c user.name=t -c user.email=t@example.org commit -q --allow-empty "
      "-m 'from inside'";
  RunResult r = Sandbox(repo, {"--profile", "cc", "--", "/bin/sh", "-c", commit});
  EXPECT_NE(r.exit_code, 0) << r;  // read-only by default
  r = Sandbox(repo, {"--profile", "cc", "--workspace-vcs", "rw", "--", "/bin/sh", "-c", commit});
  EXPECT_EQ(r.exit_code, 0) << r;
  RunResult log = Host(repo, {kGit, "log", "--oneline"});
  EXPECT_NE(log.out.find("from inside"), std::string::npos) << log;
}

TEST_F(WorkspaceTest, BuildDirectoryOfARepositoryBindsItsTopLevel) {
  if (::access(kGit, X_OK) != 0) GTEST_SKIP() << "git is not installed";
  std::string repo = MakeRepo("proj");
  std::string build = MakeDir("proj/build", /*job_writable=*/true);
  RunResult r = Sandbox(build, {"--profile", "cc", "--", "/bin/sh", "-c",
                                "pwd && echo from-build > ../written-above"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, build + "\n") << r;
  EXPECT_EQ(ReadHostFile(repo + "/written-above"), "from-build\n");
}

TEST_F(WorkspaceTest, UnsafeWorkspacesAreRefusedWithTheFix) {
  for (const std::string& dir :
       {std::string("/"), home_, std::string("/usr"), std::string("/tmp")}) {
    RunResult r = Sandbox(dir, {"--profile", "cc", "--", "/bin/true"});
    EXPECT_EQ(r.exit_code, kExitSandboxFailure) << dir << "\n" << r;
    EXPECT_NE(r.err.find("sandbox: workspace " + dir), std::string::npos) << r;
    EXPECT_NE(r.err.find("--workspace DIR"), std::string::npos) << r;
  }
  // `show` says the same, and a named project is accepted from anywhere.
  std::string proj = MakeDir("proj", /*job_writable=*/true);
  RunResult r = Sandbox(home_, {"--profile", "cc", "--workspace", proj, "--chdir", proj, "--",
                                "/bin/sh", "-c", "echo ok > " + proj + "/named"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(ReadHostFile(proj + "/named"), "ok\n");
}

TEST_F(WorkspaceTest, CachesNeverChangeTheHostUsersOwn) {
  // Each shipped profile's caches, with the host's own cache of the kind already there.
  struct Case {
    const char* profile;
    const char* target;
    const char* host;  // relative to HOME
  };
  const Case cases[] = {
      {"cc", "/tmp/.cache/ccache", ".cache/ccache"},
      {"ci", "/tmp/.cache/ccache", ".cache/ccache"},
      {"ci", "/tmp/.cache/pip", ".cache/pip"},
      {"ci", "/tmp/.cache/go-build", ".cache/go-build"},
      {"python", "/tmp/.cache/pip", ".cache/pip"},
      {"node", "/tmp/.npm", ".npm"},
      {"go", "/tmp/go/pkg/mod", "go/pkg/mod"},
      {"go", "/tmp/.cache/go-build", ".cache/go-build"},
      {"rust", "/tmp/.cargo/registry", ".cargo/registry"},
      {"rust", "/tmp/.cargo/git", ".cargo/git"},
  };
  std::string proj = MakeDir("proj", /*job_writable=*/true);
  int n = 0;
  for (const Case& c : cases) {
    std::string host = home_ + "/" + c.host;
    std::string entry = "/entry" + std::to_string(++n);
    std::string planted = "/planted" + std::to_string(n);
    RunResult made =
        Host(home_, {"/bin/sh", "-c", "mkdir -p " + host + " && echo trusted > " + host + entry});
    ASSERT_EQ(made.exit_code, 0) << made;
    std::string t = c.target;
    RunResult r = Sandbox(proj, {"--profile", c.profile, "--", "/bin/sh", "-c",
                                 "cat " + t + entry + " && echo poisoned > " + t + entry +
                                     " && echo new > " + t + planted});
    EXPECT_EQ(r.exit_code, 0) << c.profile << " " << t << "\n" << r;
    EXPECT_EQ(r.out, "trusted\n") << "the host's cache is visible beneath\n" << r;
    EXPECT_EQ(ReadHostFile(host + entry), "trusted\n") << c.profile << " " << t;
    EXPECT_FALSE(Exists(host + planted)) << c.profile << " " << t;
    // What the job wrote stays for the next sandboxed run (the sandbox's own cache).
    r = Sandbox(proj, {"--profile", c.profile, "--", "/bin/cat", t + entry, t + planted});
    EXPECT_EQ(r.out, "poisoned\nnew\n") << c.profile << " " << t << "\n" << r;
  }
  // Sharing the host's cache read-write is an explicit, per-cache choice.
  RunResult r = Sandbox(proj, {"--profile", "cc", "--cache", "ccache=host", "--", "/bin/sh", "-c",
                               "echo shared > /tmp/.cache/ccache/entry"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(ReadHostFile(home_ + "/.cache/ccache/entry"), "shared\n");
}

TEST_F(WorkspaceTest, RelocatedInstallFindsItsProfilesAndNoBuildTree) {
  std::string proj = MakeDir("proj", /*job_writable=*/true);
  RunResult r = Sandbox(proj, {"--profile", "cc", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 0) << r;
  // The test's copy of the binary lies outside its build tree and has no share/ beside it:
  // it must not find the source tree's profiles.
  std::vector<std::string> argv = {BinDir() + "/sandbox", "--profile", "cc", "--", "/bin/true"};
  RunResult bare = RunProcess(AsRunUser(argv), In(proj));
  EXPECT_EQ(bare.exit_code, kExitSandboxFailure) << bare;
  EXPECT_NE(bare.err.find("profile \"cc\" not found"), std::string::npos) << bare;
  EXPECT_EQ(bare.err.find(SANDBOX_SOURCE_PROFILES), std::string::npos) << bare;
}

TEST_F(WorkspaceTest, ACallersBaseProfileDoesNotChangeTheInstalledCi) {
  std::string proj = MakeDir("proj", /*job_writable=*/true);
  RunResult before = Sandbox(proj, {"show", "ci", "--json"});
  ASSERT_EQ(before.exit_code, 0) << before;
  MakeDir("config", true);
  MakeDir("config/sandbox", true);
  MakeDir("config/sandbox/profiles", true);
  std::string hostile =
      MakeFile("config/sandbox/profiles/base.toml",
               "[[mount]]\ntype = \"bind\"\nsource = \"/\"\ntarget = \"/host\"\n");
  (void)hostile;
  RunResult after =
      Sandbox(proj, {"show", "ci", "--json"}, {"XDG_CONFIG_HOME=" + scratch() + "/config"});
  ASSERT_EQ(after.exit_code, 0) << after;
  EXPECT_EQ(after.out, before.out);
  EXPECT_EQ(after.out.find("\"/host\""), std::string::npos);
}

TEST_F(WorkspaceTest, AProfileOthersCanWriteIsRefused) {
  std::string proj = MakeDir("proj", /*job_writable=*/true);
  std::string profile = MakeFile("shared.toml", "extends = \"cc\"\n");
  std::filesystem::copy_file(prefix_ + "/share/sandbox/profiles/cc.toml", scratch() + "/cc.toml");
  std::filesystem::copy_file(prefix_ + "/share/sandbox/profiles/base.toml",
                             scratch() + "/base.toml");
  ::chmod((scratch() + "/cc.toml").c_str(), 0644);
  ::chmod((scratch() + "/base.toml").c_str(), 0644);
  RunResult ok = Sandbox(proj, {"--profile", profile, "--", "/bin/true"});
  EXPECT_EQ(ok.exit_code, 0) << ok;
  ASSERT_EQ(::chmod(profile.c_str(), 0664), 0);
  RunResult r = Sandbox(proj, {"--profile", profile, "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find("profile " + profile + " is not safe"), std::string::npos) << r;
  EXPECT_NE(r.err.find("chmod go-w"), std::string::npos) << r;
}

TEST_F(WorkspaceTest, AJobCannotForgeItsReport) {
  std::string proj = MakeDir("proj", /*job_writable=*/true);
  std::string report = proj + "/out/report.json";
  MakeDir("proj/out", /*job_writable=*/true);
  RunResult r = Sandbox(proj, {"--profile", "cc", "--report", report, "--", "/bin/sh", "-c",
                               "echo '{\"exit_code\": 0, \"job_exit_code\": 0}' > out/report.json;"
                               "ln -s " +
                                   home_ + "/.bashrc out/tmp-link; exit 3"});
  EXPECT_EQ(r.exit_code, 3) << r;
  std::string text = ReadHostFile(report);
  EXPECT_NE(text.find("\"job_exit_code\": 3"), std::string::npos) << text;
  // A symlink planted at the report's path is replaced, never followed.
  r = Sandbox(proj, {"--profile", "cc", "--report", report, "--", "/bin/sh", "-c",
                     "rm out/report.json; ln -s " + home_ + "/victim out/report.json; exit 4"});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_FALSE(Exists(home_ + "/victim"));
  EXPECT_NE(ReadHostFile(report).find("\"job_exit_code\": 4"), std::string::npos);
  // Moving the directory away and putting another in its place: the report still lands at
  // the path asked for.
  r = Sandbox(proj, {"--profile", "cc", "--report", report, "--", "/bin/sh", "-c",
                     "mv out out.old && mkdir out && echo forged > out/report.json; exit 5"});
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_NE(ReadHostFile(report).find("\"job_exit_code\": 5"), std::string::npos);
  // A directory on the way replaced by a symlink: nothing is written through it.
  r = Sandbox(proj, {"--profile", "cc", "--report", report, "--", "/bin/sh", "-c",
                     "mv out out.2 && ln -s " + home_ + " out; exit 6"});
  EXPECT_EQ(r.exit_code, 6) << r;
  EXPECT_FALSE(Exists(home_ + "/report.json"));
  EXPECT_NE(r.err.find("cannot write the report"), std::string::npos) << r;
}

}  // namespace
}  // namespace sandbox::testing

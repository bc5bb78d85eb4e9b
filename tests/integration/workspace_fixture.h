// The workspace tests' fixture: an install prefix with the shipped profiles (profiles are
// found relative to the binary), a home for the run user, and helpers to run the installed
// sandbox and host commands as the run user.
#ifndef SANDBOX_TESTS_INTEGRATION_WORKSPACE_FIXTURE_H_
#define SANDBOX_TESTS_INTEGRATION_WORKSPACE_FIXTURE_H_

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fixture.h"

#ifndef SANDBOX_SOURCE_PROFILES
#error "SANDBOX_SOURCE_PROFILES must name the source tree's profiles/"
#endif

namespace sandbox::testing {

inline constexpr char kGit[] = "/usr/bin/git";

class WorkspaceTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    home_ = MakeDir("home", /*job_writable=*/true);
    // A prefix laid out as `cmake --install` does: bin/sandbox finds share/sandbox/profiles.
    prefix_ = MakeDir("prefix");
    for (const char* d :
         {"prefix/bin", "prefix/share", "prefix/share/sandbox", "prefix/share/sandbox/profiles"}) {
      MakeDir(d);
    }
    std::filesystem::copy_file(BinDir() + "/sandbox", prefix_ + "/bin/sandbox");
    ::chmod((prefix_ + "/bin/sandbox").c_str(), 0755);
    for (const char* name : {"base", "cc", "python", "node", "rust", "go", "ci"}) {
      std::ifstream in(std::string(SANDBOX_SOURCE_PROFILES) + "/" + name + ".toml");
      std::string path = prefix_ + "/share/sandbox/profiles/" + name + ".toml";
      std::ofstream(path) << in.rdbuf();
      ::chmod(path.c_str(), 0644);
    }
  }

  SpawnOptions In(const std::string& cwd) {
    SpawnOptions options = DefaultOptions();
    options.cwd = cwd;
    options.env.push_back("HOME=" + home_);
    return options;
  }

  // The installed binary, run as the run user from `cwd`.
  RunResult Sandbox(const std::string& cwd, const std::vector<std::string>& args,
                    std::vector<std::string> extra_env = {}) {
    std::vector<std::string> argv = {prefix_ + "/bin/sandbox"};
    argv.insert(argv.end(), args.begin(), args.end());
    SpawnOptions options = In(cwd);
    for (auto& e : extra_env) {
      // A variable given again replaces the default one (PATH), as a shell's export would.
      std::string name = e.substr(0, e.find('=') + 1);
      std::erase_if(options.env, [&](const std::string& v) { return v.rfind(name, 0) == 0; });
      options.env.push_back(e);
    }
    return RunProcess(AsRunUser(argv), options);
  }

  // A command run on the host as the run user, the way the user would after the run.
  RunResult Host(const std::string& cwd, const std::vector<std::string>& argv) {
    return RunProcess(AsRunUser(argv), In(cwd));
  }

  // SCRATCH/name as a git repository with one commit, owned by the run user.
  std::string MakeRepo(const std::string& name) {
    std::string repo = MakeDir(name, /*job_writable=*/true);
    RunResult r = Host(repo, {"/bin/sh", "-c",
                              "git init -q . && git config user.email t@example.org && "
                              "git config user.name t && echo one > file && git add file && "
                              "git commit -qm one"});
    EXPECT_EQ(r.exit_code, 0) << r;
    return repo;
  }

  static bool Exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
  }

  // What a hostile build step does to reach the host through git.
  // Run from the repository's sub/: it also makes sub/ a repository of its own, the one the
  // host's git would find first there.
  static std::string PlantGitHooks(const std::string& marker) {
    return "echo 'touch " + marker +
           "' > ../.git/hooks/pre-commit; "
           "chmod +x ../.git/hooks/pre-commit; "
           "git config core.fsmonitor 'touch " +
           marker +
           "'; "
           "git config core.hooksPath /tmp; "
           "git init -q . && git config core.fsmonitor 'touch " +
           marker + "'; exit 0";
  }

  void ExpectHostGitRunsNothing(const std::string& repo, const std::string& marker) {
    RunResult status = Host(repo + "/sub", {kGit, "status", "--short"});
    RunResult commit = Host(repo, {kGit, "commit", "-q", "--allow-empty", "-m", "host commit"});
    EXPECT_EQ(commit.exit_code, 0) << commit;
    EXPECT_FALSE(Exists(marker)) << "a command the job planted ran on the host\n" << status;
  }

  std::string home_;
  std::string prefix_;
};

}  // namespace sandbox::testing

#endif  // SANDBOX_TESTS_INTEGRATION_WORKSPACE_FIXTURE_H_

// bwrap mode's working directory without --chdir, as bubblewrap chooses it: the caller's
// directory if the sandbox has it, else $HOME as the sandbox's environment has it (after
// --setenv/--unsetenv), else /; PWD then names the directory entered, in PWD's own place in
// the environment. Flatpak starts bwrap with an empty environment and HOME given by --setenv.
#include <unistd.h>

#include <string>
#include <vector>

#include "fixture.h"

namespace sandbox::testing {
namespace {

class BwrapCwdTest : public SandboxTest {
 protected:
  // bwrap --ro-bind BIN BIN [--bind SCRATCH SCRATCH] ARGS... PROBE PROBE_ARGS, started in
  // `cwd` with `env` as its whole environment.
  RunResult Run(const std::string& cwd, const std::vector<std::string>& env,
                const std::vector<std::string>& args, const std::vector<std::string>& probe_args,
                bool bind_scratch = false) {
    std::vector<std::string> argv = {"bwrap", "--ro-bind", BinDir(), BinDir()};
    if (bind_scratch) argv.insert(argv.end(), {"--bind", scratch(), scratch()});
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(BinDir() + "/probe");
    argv.insert(argv.end(), probe_args.begin(), probe_args.end());
    SpawnOptions options = DefaultOptions();
    options.cwd = cwd;
    options.env = env;
    return RunProcess(SandboxArgv(argv), options);
  }

  // The directory the job is in and its PWD, as "cwd|PWD".
  std::string Where(const std::string& cwd, const std::vector<std::string>& env,
                    const std::vector<std::string>& args, bool bind_scratch = false) {
    RunResult dir = Run(cwd, env, args, {"cwd"}, bind_scratch);
    RunResult vars = Run(cwd, env, args, {"env"}, bind_scratch);
    EXPECT_EQ(dir.exit_code, 0) << dir;
    EXPECT_EQ(vars.exit_code, 0) << vars;
    std::string pwd = "(none)";
    for (const std::string& line : Lines(vars.out)) {
      if (line.rfind("PWD=", 0) == 0) pwd = line.substr(4);
    }
    std::string here = dir.out.empty() ? "" : dir.out.substr(0, dir.out.size() - 1);
    return here + "|" + pwd;
  }
};

// The reproduction: `cd /tmp/x; env -i bwrap ... --setenv HOME /usr/share sh -c pwd`
// prints /usr/share with bubblewrap.
TEST_F(BwrapCwdTest, OutsideTheSandboxTheJobStartsInTheSandboxsHome) {
  std::string away = MakeDir("away");
  EXPECT_EQ(Where(away, {}, {"--setenv", "HOME", BinDir()}), BinDir() + "|" + BinDir());
  // HOME inherited from the caller counts too.
  EXPECT_EQ(Where(away, {"HOME=" + BinDir()}, {}), BinDir() + "|" + BinDir());
}

TEST_F(BwrapCwdTest, WithoutAUsableHomeTheJobStartsInRoot) {
  std::string away = MakeDir("away");
  EXPECT_EQ(Where(away, {}, {"--setenv", "HOME", "/no/such/home"}), "/|/");
  // --unsetenv removes the caller's HOME before bubblewrap looks at it.
  EXPECT_EQ(Where(away, {"HOME=" + BinDir()}, {"--unsetenv", "HOME"}), "/|/");
  EXPECT_EQ(Where(away, {"HOME=" + BinDir()}, {"--clearenv"}), "/|/");
  EXPECT_EQ(Where(away, {}, {}), "/|/");
}

TEST_F(BwrapCwdTest, TheCallersDirectoryWinsWhenTheSandboxHasIt) {
  std::string here = MakeDir("here");
  EXPECT_EQ(Where(here, {"PWD=" + here}, {"--setenv", "HOME", BinDir()}, true), here + "|" + here);
  // A caller whose PWD names its directory through a symlink keeps that spelling
  // (get_current_dir_name(3)); a PWD that names another directory is not believed.
  std::string link = scratch() + "/link";
  ASSERT_EQ(::symlink(here.c_str(), link.c_str()), 0);
  EXPECT_EQ(Where(here, {"PWD=" + link}, {}, true), here + "|" + link);
  EXPECT_EQ(Where(here, {"PWD=" + BinDir()}, {}, true), here + "|" + here);
}

TEST_F(BwrapCwdTest, PwdKeepsItsPlaceInTheEnvironment) {
  std::string away = MakeDir("away");
  RunResult r = Run(away, {"A=1", "PWD=" + away, "HOME=" + BinDir(), "B=2"}, {}, {"env"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "A=1\nPWD=" + BinDir() + "\nHOME=" + BinDir() + "\nB=2\n") << r;
  r = Run(away, {"A=1"}, {"--clearenv", "--setenv", "HOME", "/no/such/home"}, {"env"});
  EXPECT_EQ(r.out, "HOME=/no/such/home\nPWD=/\n") << "added at the end\n" << r;
}

TEST_F(BwrapCwdTest, ChdirIsTakenAsWritten) {
  std::string away = MakeDir("away");
  EXPECT_EQ(Where(away, {}, {"--chdir", BinDir() + "/"}), BinDir() + "|" + BinDir() + "/");
  // Relative to / (where the setup leaves bubblewrap), as chdir(2) takes it.
  std::string relative = BinDir().substr(1);
  EXPECT_EQ(Where(away, {}, {"--chdir", relative}), BinDir() + "|" + relative);
  RunResult r = Run(away, {}, {"--chdir", "/no/such/dir"}, {"cwd"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err, "bwrap: Can't chdir to /no/such/dir: No such file or directory\n") << r;
}

}  // namespace
}  // namespace sandbox::testing

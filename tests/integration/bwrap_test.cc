// bwrap mode from inside real sandboxes, as uid 65534: bubblewrap's defaults (the caller's
// environment and ids, only the namespaces asked for, no seccomp filter), its namespace options,
// its words and exit status for errors, and the argv[0] dispatch.
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "fixture.h"

namespace sandbox::testing {
namespace {

class BwrapTest : public SandboxTest {
 protected:
  // sandbox bwrap --ro-bind / / ARGS... PROBE PROBE_ARGS...: the probe at its host path.
  RunResult Bwrap(const std::vector<std::string>& args,
                  const std::vector<std::string>& probe_args) {
    std::vector<std::string> argv = {"bwrap", "--ro-bind", "/", "/"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(BinDir() + "/probe");
    argv.insert(argv.end(), probe_args.begin(), probe_args.end());
    return RunSandbox(argv);
  }

  // sandbox bwrap --ro-bind / / --userns 9 IDS... PROBE ids, with `userns` as descriptor 9.
  RunResult JoinUserns(int userns, const std::vector<std::string>& ids) {
    SpawnOptions options = DefaultOptions();
    options.inherit_fds = {{9, userns}};
    std::vector<std::string> argv = {"bwrap", "--ro-bind", "/", "/", "--userns", "9"};
    argv.insert(argv.end(), ids.begin(), ids.end());
    argv.insert(argv.end(), {BinDir() + "/probe", "ids"});
    return RunProcess(SandboxArgv(argv), options);
  }
};

bool WriteFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  return ::close(fd) == 0 && ok;
}

// A user namespace owned by the run user, held by the returned descriptor (-1 on failure). With
// maps, root writes them from outside (any host ids); without, the run user maps itself to 0.
int MakeUserNamespace(const std::string& uid_map, const std::string& gid_map, uid_t run_uid,
                      gid_t run_gid) {
  const std::string self_uid_map = "0 " + std::to_string(run_uid) + " 1";
  const std::string self_gid_map = "0 " + std::to_string(run_gid) + " 1";
  int ready[2];
  int done[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return -1;
  if (::pipe2(done, O_CLOEXEC) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(ready[0]);
    ::close(done[1]);  // or the read below never sees the end of file
    auto put = [](const char* path, const std::string& text) {
      int fd = ::open(path, O_WRONLY | O_CLOEXEC);
      bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == ssize_t(text.size());
      if (fd >= 0) ::close(fd);
      return ok;
    };
    if (::getuid() == 0 &&
        (::setgroups(0, nullptr) != 0 || ::setresgid(run_gid, run_gid, run_gid) ||
         ::setresuid(run_uid, run_uid, run_uid) != 0)) {
      ::_exit(1);
    }
    // Leaving root made the process undumpable, which gives its /proc files to root.
    if (::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0 || ::unshare(CLONE_NEWUSER) != 0) ::_exit(1);
    if (uid_map.empty() &&
        (!put("/proc/self/setgroups", "deny") || !put("/proc/self/uid_map", self_uid_map) ||
         !put("/proc/self/gid_map", self_gid_map))) {
      ::_exit(1);
    }
    char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
    // EOF or a byte: either way the parent is done with this namespace. (A (void) cast does
    // not quiet g++'s -Wunused-result under _FORTIFY_SOURCE.)
    ::_exit(::read(done[0], &byte, 1) < 0 ? 1 : 0);
  }
  ::close(ready[1]);
  ::close(done[0]);
  char byte;
  int fd = -1;
  if (pid > 0 && ::read(ready[0], &byte, 1) == 1) {
    std::string proc = "/proc/" + std::to_string(pid);
    bool mapped = uid_map.empty() ||
                  (WriteFile(proc + "/uid_map", uid_map) && WriteFile(proc + "/gid_map", gid_map));
    if (mapped) fd = ::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC);
  }
  ::close(ready[0]);
  ::close(done[1]);  // end of file: the holder leaves; the descriptor keeps the namespace
  if (pid > 0) ::waitpid(pid, nullptr, 0);
  return fd;
}

TEST_F(BwrapTest, DefaultsAreBubblewraps) {
  RunResult env = Bwrap({}, {"env"});
  EXPECT_EQ(env.exit_code, 0) << env;
  EXPECT_NE(env.out.find("TERM=xterm-sbxtest\n"), std::string::npos) << "environment inherited\n"
                                                                     << env;
  RunResult ids = Bwrap({}, {"ids"});
  EXPECT_EQ(ids.out.rfind("uid=" + std::to_string(RunUid()) + " ", 0), 0u) << ids;
  RunResult status = Bwrap({}, {"status"});
  EXPECT_NE(status.out.find("Seccomp:\t0\n"), std::string::npos) << "no filter unless asked\n"
                                                                 << status;
  EXPECT_NE(status.out.find("CapEff:\t0000000000000000\n"), std::string::npos) << status;
  // No pid namespace unless asked: the host's processes are visible.
  RunResult pids = Bwrap({"--proc", "/proc", "--unshare-pid"}, {"pids"});
  EXPECT_EQ(pids.out.rfind("1\n2\n", 0), 0u) << pids;
}

TEST_F(BwrapTest, UnshareAllGivesEveryNamespace) {
  RunResult host = Bwrap({"--unshare-all", "--hostname", "bw", "--proc", "/proc"}, {"hostname"});
  EXPECT_EQ(host.exit_code, 0) << host;
  EXPECT_EQ(host.out, "bw\n") << host;
  RunResult net = Bwrap({"--unshare-all"}, {"netifs"});
  EXPECT_EQ(net.out.find("eth"), std::string::npos) << net;
  RunResult shared = Bwrap({"--unshare-all", "--share-net"}, {"netifs"});
  EXPECT_NE(shared.out, net.out) << "--share-net keeps the host's interfaces\n" << shared;
}

TEST_F(BwrapTest, EnvironmentAndProcessOptions) {
  RunResult r = Bwrap({"--clearenv", "--setenv", "A", "1 2", "--chdir", "/usr"}, {"env"});
  EXPECT_EQ(r.out, "A=1 2\nPWD=/usr\n") << "bubblewrap sets PWD even after --clearenv\n" << r;
  r = Bwrap({"--new-session"}, {"setsid-check"});
  EXPECT_EQ(r.exit_code, 0) << r;
}

TEST_F(BwrapTest, ErrorsAreBubblewrapsWordsAndStatus) {
  RunResult r = RunSandbox({"bwrap", "--frobnicate", "true"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err, "bwrap: Unknown option --frobnicate\n") << r;
  r = RunSandbox({"bwrap", "--ro-bind", "/no-such-source", "/x", "true"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err.rfind("bwrap: ", 0), 0u) << r;
  r = RunSandbox({"bwrap", "--ro-bind", "/", "/", BinDir() + "/probe", "exit", "9"});
  EXPECT_EQ(r.exit_code, 9) << "the command's own status\n" << r;
}

TEST_F(BwrapTest, AsPid1RunsTheCommandAsInit) {
  RunResult r = Bwrap({"--unshare-pid", "--as-pid-1", "--proc", "/proc"}, {"pids"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "1\n") << "no init besides the command\n" << r;
  r = Bwrap({"--as-pid-1"}, {"exit", "0"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err, "bwrap: Specifying --as-pid-1 requires --unshare-pid\n") << r;
}

TEST_F(BwrapTest, InfoAndJsonStatusDescriptors) {
  std::string dir = MakeDir("fds", /*job_writable=*/true);
  int info = ::open((dir + "/info.json").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int status =
      ::open((dir + "/status.json").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ASSERT_GE(info, 0);
  ASSERT_GE(status, 0);
  SpawnOptions options = DefaultOptions();
  options.inherit_fds = {{42, info}, {43, status}};
  std::vector<std::string> argv =
      SandboxArgv({"bwrap", "--ro-bind", "/", "/", "--unshare-all", "--info-fd", "42",
                   "--json-status-fd", "43", BinDir() + "/probe", "exit", "42"});
  RunResult r = RunProcess(argv, options);
  ::close(info);
  ::close(status);
  EXPECT_EQ(r.exit_code, 42) << r;
  std::string info_text = ReadHostFile(dir + "/info.json");
  std::string status_text = ReadHostFile(dir + "/status.json");
  EXPECT_EQ(info_text.rfind("{\n    \"child-pid\": ", 0), 0u) << info_text;
  EXPECT_NE(info_text.find("\"pid-namespace\": "), std::string::npos) << info_text;
  EXPECT_EQ(status_text.rfind("{ \"child-pid\": ", 0), 0u) << status_text;
  EXPECT_NE(status_text.find("\n{ \"exit-code\": 42 }\n"), std::string::npos) << status_text;
}

TEST_F(BwrapTest, InvokedAsBwrapThroughALink) {
  std::string link = MakeDir("link") + "/bwrap";
  ASSERT_EQ(::symlink((BinDir() + "/sandbox").c_str(), link.c_str()), 0);
  std::vector<std::string> argv = SandboxArgv({});
  argv.back() = link;  // the prefix ends with the sandbox binary; run the link instead
  argv.insert(argv.end(), {"--ro-bind", "/", "/", BinDir() + "/probe", "hostname"});
  RunResult r = RunProcess(argv, DefaultOptions());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_FALSE(r.out.empty()) << r;
}

TEST_F(BwrapTest, CapabilitiesAreBubblewraps) {
  // --cap-add keeps exactly that one, bounding set included; pid 1 (the reaper) keeps none.
  RunResult r = Bwrap({"--unshare-user", "--uid", "0", "--cap-add", "CAP_NET_ADMIN"}, {"status"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("CapEff:\t0000000000001000\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("CapBnd:\t0000000000001000\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("NoNewPrivs:\t1\n"), std::string::npos) << r;
  r = Bwrap({"--unshare-pid", "--proc", "/proc"}, {"read", "/proc/1/status"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("CapEff:\t0000000000000000\n"), std::string::npos) << r;
  r = Bwrap({"--cap-add", "CAP_FROB"}, {"exit", "0"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err, "bwrap: unknown cap: CAP_FROB\n") << r;
}

// pid 1 holds the socket to the supervisor. Without any capability it would be the job's to
// trace (same ids); it keeps one, permitted only, that the job lacks. The job's own child
// stays traceable, and bubblewrap's view (no effective capability in pid 1) holds.
TEST_F(BwrapTest, TheJobCannotTraceTheReaper) {
  RunResult r = Bwrap({"--unshare-pid", "--proc", "/proc"}, {"ptrace-seize", "1"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out.rfind("error EPERM", 0), 0u) << r;
  r = Bwrap({"--unshare-pid", "--proc", "/proc"}, {"ptrace-child"});
  EXPECT_EQ(r.exit_code, 0) << r;
  r = Bwrap({"--unshare-pid", "--proc", "/proc"}, {"read", "/proc/1/status"});
  EXPECT_NE(r.out.find("CapEff:\t0000000000000000\n"), std::string::npos) << r;
  EXPECT_NE(r.out.find("CapInh:\t0000000000000000\n"), std::string::npos) << r;
}

TEST_F(BwrapTest, DisableUsernsSticks) {
  RunResult r = Bwrap({"--unshare-user", "--disable-userns"}, {"unshare-user"});
  EXPECT_NE(r.exit_code, 0) << "no user namespace below the sandbox\n" << r;
  r = Bwrap({"--unshare-user"}, {"unshare-user"});
  EXPECT_EQ(r.exit_code, 0) << "allowed without --disable-userns\n" << r;
  r = Bwrap({"--assert-userns-disabled"}, {"exit", "0"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("creation of new user namespaces was not disabled"), std::string::npos) << r;
}

TEST_F(BwrapTest, ProcWithoutAPidNamespaceIsTheHosts) {
  RunResult r = Bwrap({"--proc", "/proc"}, {"pids"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.rfind("1\n", 0), std::string::npos) << r;
  r = Bwrap({"--proc", "/proc"}, {"write", "/proc/sys/kernel/hostname", "x"});
  EXPECT_NE(r.exit_code, 0) << "/proc/sys stays read-only\n" << r;
}

TEST_F(BwrapTest, FilesDirectoriesAndModes) {
  RunResult r = Bwrap({"--tmpfs", "/run", "--perms", "0640", "--file", "0", "/run/f"},
                      {"stat-mode", "/run/f"});
  EXPECT_EQ(r.out.rfind("100640 ", 0), 0u) << r;
  r = Bwrap({"--tmpfs", "/run", "--perms", "0700", "--dir", "/run/a/b"}, {"stat-mode", "/run/a"});
  EXPECT_EQ(r.out.rfind("40700 ", 0), 0u) << "parents narrowed like the --perms\n" << r;
  r = Bwrap({"--tmpfs", "/run", "--dir", "/run/c", "--chmod", "1755", "/run/c"},
            {"stat-mode", "/run/c"});
  EXPECT_EQ(r.out.rfind("41755 ", 0), 0u) << r;
  r = Bwrap({"--tmpfs", "/run", "--ro-bind-data", "0", "/run/d"}, {"write", "/run/d", "x"});
  EXPECT_NE(r.exit_code, 0) << "--ro-bind-data is read-only\n" << r;
  r = Bwrap({"--size", "1048576", "--tmpfs", "/run"}, {"statfs-type", "/run"});
  EXPECT_EQ(r.exit_code, 0) << r;
}

TEST_F(BwrapTest, SymlinksAreIdempotentButNeverReplaced) {
  RunResult r = Bwrap({"--tmpfs", "/run", "--symlink", "a", "/run/l", "--symlink", "a", "/run/l"},
                      {"exit", "0"});
  EXPECT_EQ(r.exit_code, 0) << r;
  r = Bwrap({"--tmpfs", "/run", "--symlink", "a", "/run/l", "--symlink", "b", "/run/l"},
            {"exit", "0"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err, "bwrap: Can't make symlink at /run/l: existing destination is a\n") << r;
}

TEST_F(BwrapTest, TmpOverlayKeepsTheLayersUntouched) {
  std::string lower = MakeDir("lower", /*job_writable=*/true);
  MakeFile("lower/a", "1");
  RunResult r =
      Bwrap({"--overlay-src", lower, "--tmp-overlay", "/mnt"}, {"write", "/mnt/new", "2"});
  if (r.err.find("overlay") != std::string::npos && r.exit_code == 1) {
    GTEST_SKIP() << "no unprivileged overlayfs here: " << r.err;
  }
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(::access((lower + "/new").c_str(), F_OK), 0) << "writes go to the invisible tmpfs";
  EXPECT_EQ(ReadHostFile(lower + "/a"), "1");
  r = Bwrap({"--overlay-src", lower}, {"exit", "0"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err.rfind("bwrap: --overlay-src must be followed by", 0), 0u) << r;
}

TEST_F(BwrapTest, DescriptorsPassOnExceptConsumedOnes) {
  std::string dir = MakeDir("fds2", /*job_writable=*/true);
  int passed = ::open((dir + "/p").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  int info = ::open((dir + "/i").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(passed, 0);
  ASSERT_GE(info, 0);
  SpawnOptions options = DefaultOptions();
  options.inherit_fds = {{7, passed}, {8, info}};
  RunResult r = RunProcess(
      SandboxArgv({"bwrap", "--ro-bind", "/", "/", "--info-fd", "8", BinDir() + "/probe", "fds"}),
      options);
  ::close(passed);
  ::close(info);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("7\n"), std::string::npos) << "the caller's descriptor passes on\n" << r;
  EXPECT_EQ(r.out.find("8\n"), std::string::npos) << "--info-fd is the supervisor's\n" << r;
}

TEST_F(BwrapTest, BindFdRefusesAPathThatNamesAnotherFileNow) {
  std::string a = MakeDir("bindfd-a");
  std::string b = MakeDir("bindfd-b");
  MakeFile("bindfd-a/which", "A");
  MakeFile("bindfd-b/which", "B");
  int fd = ::open(a.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  SpawnOptions options = DefaultOptions();
  options.inherit_fds = {{5, fd}};
  RunResult r = RunProcess(SandboxArgv({"bwrap", "--ro-bind", "/", "/", "--ro-bind-fd", "5", "/mnt",
                                        BinDir() + "/probe", "read", "/mnt/which"}),
                           options);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "A") << r;
  // The descriptor's path is read before the bind is made, so anything renamed or mounted onto
  // that path meanwhile would be bound instead. Deterministically: a sandbox where `a` is
  // covered by `b` resolves the inherited descriptor (opened outside, on the real `a`) to the
  // path `a`, which names `b` there; the nested run must notice and refuse.
  r = RunProcess(SandboxArgv({"bwrap", "--bind", "/", "/", "--bind", b, a, BinDir() + "/sandbox",
                              "bwrap", "--ro-bind", "/", "/", "--ro-bind-fd", "5", "/mnt",
                              BinDir() + "/probe", "read", "/mnt/which"}),
                 options);
  ::close(fd);
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out, "") << "the swapped-in directory was never shown\n" << r;
  EXPECT_EQ(r.err, "bwrap: Race condition binding dirfd\n") << r;
}

TEST_F(BwrapTest, UsernsSwitchesToTheIdsAsked) {
  // A namespace where the run user is uid 0 and nothing else is mapped: bubblewrap setuid()s
  // to an id that differs from the caller's, and fails when the namespace has no such id.
  int userns = MakeUserNamespace("", "", RunUid(), RunGid());
  ASSERT_GE(userns, 0) << "cannot make a user namespace";
  RunResult r = JoinUserns(userns, {});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.rfind("uid=0 gid=0 ", 0), 0u) << "the caller's own mapping\n" << r;
  r = JoinUserns(userns, {"--uid", "5"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err, "bwrap: unable to switch to uid 5: Invalid argument\n") << r;
  r = JoinUserns(userns, {"--gid", "5"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.err, "bwrap: unable to switch to gid 5: Invalid argument\n") << r;
  // The caller's own outside ids mean "no switch", whatever they map to inside.
  r = JoinUserns(userns, {"--uid", std::to_string(RunUid()), "--gid", std::to_string(RunGid())});
  ::close(userns);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.rfind("uid=0 gid=0 ", 0), 0u) << r;
}

TEST_F(BwrapTest, UsernsRunsTheCommandAsTheIdsAsked) {
  // Two ids mapped: the run user is 1 inside, so it keeps its capabilities there when it
  // becomes 2 (no id was 0), makes the mounts and runs the command as 2.
  if (!AsRoot()) GTEST_SKIP() << "only root can write a map with two ids";
  auto two = [](unsigned id) {
    return "1 " + std::to_string(id) + " 1\n2 " + std::to_string(id - 1) + " 1\n";
  };
  int userns = MakeUserNamespace(two(RunUid()), two(RunGid()), RunUid(), RunGid());
  ASSERT_GE(userns, 0) << "cannot make a user namespace with two ids";
  RunResult r = JoinUserns(userns, {});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.rfind("uid=1 gid=1 euid=1 egid=1\n", 0), 0u) << r;
  r = JoinUserns(userns, {"--uid", "2", "--gid", "2"});
  ::close(userns);
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out.rfind("uid=2 gid=2 euid=2 egid=2\n", 0), 0u) << r;
}

}  // namespace
}  // namespace sandbox::testing

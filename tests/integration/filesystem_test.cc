// The job's filesystem: read-only and read-write binds (with submounts), the /tmp tmpfs,
// /proc/sys, --chdir, --dir, --symlink, --remount-ro, and symlinks planted to redirect mounts.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"

namespace sandbox::testing {
namespace {

namespace fs = std::filesystem;

class FilesystemTest : public SandboxTest {};

constexpr char kErofsPrefix[] = "error EROFS ";

bool StartsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// A bind onto the new root itself (bwrap's `--bind / /`) replaces the root the later mounts
// and the pivot use, instead of being hidden under it.
TEST_F(FilesystemTest, BindOntoTheRootIsTheRootLaterMountsGoOnTopOf) {
  RunResult r = RunSandbox({"--ro-bind", "/", "/", "--tmpfs", "/tmp", "--ro-bind", BinDir(),
                            "/tmp/sbx", "--", "/tmp/sbx/probe", "exists", "/usr/bin"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "yes\n") << r;
  r = RunSandbox({"--ro-bind", "/", "/", "--tmpfs", "/tmp", "--ro-bind", BinDir(), "/tmp/sbx", "--",
                  "/tmp/sbx/probe", "statfs-type", "/tmp"});
  EXPECT_EQ(r.out, std::string(kTmpfsMagic) + " rw\n") << r;
}

TEST_F(FilesystemTest, ReadOnlyBindRejectsWrites) {
  // Writable by the run user on the host, so only the read-only bind can stop the write.
  std::string dir = MakeDir("data", /*job_writable=*/true);
  RunResult r = RunProbe({"--ro-bind", dir, "/data"}, {"write", "/data/x", "from-job"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(StartsWith(r.out, kErofsPrefix)) << r;
  EXPECT_FALSE(fs::exists(dir + "/x"));

  // Control: the same directory bound read-write takes the write.
  RunResult rw = RunProbe({"--bind", dir, "/data"}, {"write", "/data/x", "from-job"});
  EXPECT_EQ(rw.exit_code, 0) << rw;
  EXPECT_EQ(rw.out, "ok\n") << rw;
}

TEST_F(FilesystemTest, ReadOnlyFileBindRejectsWrites) {
  std::string file = MakeFile("file", "original\n");
  if (AsRoot()) {
    ASSERT_EQ(chown(file.c_str(), RunUid(), RunGid()), 0) << strerror(errno);
  }
  RunResult r = RunProbe({"--ro-bind", file, "/f"}, {"write", "/f", "changed\n"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(StartsWith(r.out, kErofsPrefix)) << r;
  EXPECT_EQ(ReadHostFile(file), "original\n");

  RunResult rw = RunProbe({"--bind", file, "/f"}, {"write", "/f", "changed\n"});
  EXPECT_EQ(rw.exit_code, 0) << rw;
  EXPECT_EQ(ReadHostFile(file), "changed\n");
}

TEST_F(FilesystemTest, ReadOnlyBindCoversSubmounts) {
  if (!AsRoot()) GTEST_SKIP() << "mounting a tmpfs on the host needs root";
  std::string dir = MakeDir("A", /*job_writable=*/true);
  std::string sub = dir + "/sub";
  ASSERT_EQ(mkdir(sub.c_str(), 0755), 0) << strerror(errno);
  ASSERT_EQ(mount("sandbox-it", sub.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0777"), 0)
      << "mount tmpfs on " << sub << ": " << strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{sub};

  RunResult r = RunProbe({"--ro-bind", dir, "/a"}, {"write", "/a/sub/x", "from-job"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(StartsWith(r.out, kErofsPrefix)) << "the submount stayed writable\n" << r;
  EXPECT_FALSE(fs::exists(sub + "/x"));

  RunResult top = RunProbe({"--ro-bind", dir, "/a"}, {"write", "/a/x", "from-job"});
  EXPECT_EQ(top.exit_code, 1) << top;
  EXPECT_TRUE(StartsWith(top.out, kErofsPrefix)) << top;

  // Control: a read-write bind carries the submount, and the job may write to it.
  RunResult rw = RunProbe({"--bind", dir, "/a"}, {"write", "/a/sub/x", "from-job"});
  EXPECT_EQ(rw.exit_code, 0) << rw;
  EXPECT_EQ(rw.out, "ok\n") << rw;
  EXPECT_EQ(ReadHostFile(sub + "/x"), "from-job");
}

TEST_F(FilesystemTest, ReadWriteBindWritesReachTheHost) {
  std::string dir = MakeDir("rw", /*job_writable=*/true);
  RunResult r = RunProbe({"--bind", dir, "/rw"}, {"write", "/rw/out", "hello-from-job\n"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "ok\n") << r;
  EXPECT_EQ(ReadHostFile(dir + "/out"), "hello-from-job\n");
  struct stat st;
  ASSERT_EQ(stat((dir + "/out").c_str(), &st), 0) << strerror(errno);
  EXPECT_EQ(st.st_uid, RunUid()) << "inside root must be the run user on the host";
}

TEST_F(FilesystemTest, TmpIsAnEmptyTmpfs) {
  RunResult ls = RunProbe({}, {"ls", "/tmp"});
  EXPECT_EQ(ls.exit_code, 0) << ls;
  EXPECT_EQ(ls.out, "") << ls;
  RunResult type = RunProbe({}, {"statfs-type", "/tmp"});
  EXPECT_EQ(type.exit_code, 0) << type;
  EXPECT_EQ(type.out, std::string(kTmpfsMagic) + " rw\n") << type;
}

TEST_F(FilesystemTest, TmpfsSizeLimitsWrites) {
  std::string big(60000, 'x');
  RunResult r = RunProbe({"--size", "16K", "--tmpfs", "/small"}, {"write", "/small/f", big});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(StartsWith(r.out, "error ENOSPC ")) << r;
  // Control: the default size takes it.
  RunResult fits = RunProbe({"--tmpfs", "/small"}, {"write", "/small/f", big});
  EXPECT_EQ(fits.exit_code, 0) << fits;
  EXPECT_EQ(fits.out, "ok\n") << fits;
}

TEST_F(FilesystemTest, ProcSysIsReadOnly) {
  RunResult r = RunProbe({}, {"write", "/proc/sys/kernel/hostname", "hacked"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(StartsWith(r.out, kErofsPrefix)) << r;
  // The job's own hostname is untouched too.
  RunResult name = RunProbe({}, {"hostname"});
  EXPECT_EQ(name.out, "sandbox\n") << name;
}

TEST_F(FilesystemTest, ChdirSetsTheWorkingDirectory) {
  std::string dir = MakeDir("cwd", /*job_writable=*/true);
  RunResult r =
      RunProbe({"--bind", dir, "/work", "--chdir", "/work"}, {"write", "relfile", "relative\n"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "ok\n") << r;
  EXPECT_EQ(ReadHostFile(dir + "/relfile"), "relative\n");
}

TEST_F(FilesystemTest, DirWithPermsHasThatMode) {
  RunResult r = RunProbe({"--perms", "0700", "--dir", "/x"}, {"stat-mode", "/x"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "40700 uid=0 gid=0\n") << r;
}

TEST_F(FilesystemTest, SymlinkFlagCreatesAUsableLink) {
  std::vector<std::string> args = CommonFlags();
  args.insert(args.end(), {"--symlink", "/sbx/probe", "/bin/p", "--", "/bin/p", "exit", "5"});
  RunResult r = RunSandbox(args);
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_EQ(r.err, "") << r;
}

TEST_F(FilesystemTest, RemountReadOnlyMakesTmpReadOnly) {
  RunResult write = RunProbe({"--remount-ro", "/tmp"}, {"write", "/tmp/x"});
  EXPECT_EQ(write.exit_code, 1) << write;
  EXPECT_TRUE(StartsWith(write.out, kErofsPrefix)) << write;
  RunResult type = RunProbe({"--remount-ro", "/tmp"}, {"statfs-type", "/tmp"});
  EXPECT_EQ(type.exit_code, 0) << type;
  EXPECT_EQ(type.out, std::string(kTmpfsMagic) + " rdonly\n") << type;
}

// A job plants a symlink in a read-write bind; a later sandbox mounts or creates a directory
// through it. Whatever the sandbox decides (follow it inside the sandbox, or refuse with 125),
// nothing may be created or mounted at the host directory the link names.
class SymlinkPlantTest : public FilesystemTest {
 protected:
  // Creates the bind directory and the host target, and plants `link_text` as /work/link.
  void Plant(const std::string& link_text) {
    work_ = MakeDir("work", /*job_writable=*/true);
    escape_ = MakeDir("escape");
    ASSERT_EQ(chmod(escape_.c_str(), 0777), 0) << strerror(errno);
    RunResult r = RunProbe({"--bind", work_, "/work"}, {"symlink", link_text, "/work/link"});
    ASSERT_EQ(r.exit_code, 0) << r;
    ASSERT_EQ(r.out, "ok\n") << r;
    std::error_code ec;
    ASSERT_EQ(fs::read_symlink(work_ + "/link", ec).string(), link_text) << ec.message();
  }

  // Runs FLAGS (after --bind WORK /work) and `exists WHAT`; accepts success or a setup failure.
  void RunThrough(const std::vector<std::string>& flags, const std::string& what) {
    std::vector<std::string> all = {"--bind", work_, "/work"};
    all.insert(all.end(), flags.begin(), flags.end());
    RunResult r = RunProbe(all, {"exists", what});
    ASSERT_FALSE(r.timed_out) << r;
    if (r.exit_code == 0) {
      EXPECT_EQ(r.out, "yes\n") << r;
    } else {
      EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
      EXPECT_EQ(Lines(r.err).size(), 1u) << r;
    }
    ExpectHostUntouched();
  }

  void ExpectHostUntouched() {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(escape_, ec)) {
      ADD_FAILURE() << "the sandbox created " << entry.path() << " on the host";
    }
    EXPECT_FALSE(ec) << ec.message();
    std::string mountinfo = ReadHostFile("/proc/self/mountinfo");
    EXPECT_EQ(mountinfo.find(escape_), std::string::npos)
        << "something is mounted at " << escape_ << " on the host:\n"
        << mountinfo;
  }

  std::string work_;
  std::string escape_;
};

TEST_F(SymlinkPlantTest, AbsoluteLinkDoesNotRedirectMountsToTheHost) {
  ASSERT_NO_FATAL_FAILURE(Plant(scratch() + "/escape"));
  RunThrough({"--tmpfs", "/work/link/sub"}, "/work/link/sub");
  RunThrough({"--dir", "/work/link/sub"}, "/work/link/sub");
  RunThrough({"--ro-bind", BinDir(), "/work/link/sub"}, "/work/link/sub/probe");
}

TEST_F(SymlinkPlantTest, RelativeLinkDoesNotClimbOutOfTheBind) {
  // From the host directory `work`, enough ".." reach / and then the escape directory.
  ASSERT_NO_FATAL_FAILURE(Plant("../../../../../../../../.." + scratch() + "/escape"));
  RunThrough({"--tmpfs", "/work/link/sub"}, "/work/link/sub");
  RunThrough({"--dir", "/work/link/sub"}, "/work/link/sub");
}

TEST_F(SymlinkPlantTest, LinkTargetThatAlsoExistsInsideStaysInside) {
  // The link's target exists inside the sandbox as well (a tmpfs at the same path), so following
  // the link inside the sandbox succeeds; it must land in that tmpfs, not on the host.
  ASSERT_NO_FATAL_FAILURE(Plant(scratch() + "/escape"));
  RunThrough({"--tmpfs", escape_, "--tmpfs", "/work/link/sub"}, "/work/link/sub");
  RunThrough({"--tmpfs", escape_, "--dir", "/work/link/sub"}, escape_ + "/sub");
}

// A link an earlier job left in its checkout (`late -> /etc`) must not steer a later mount of
// the profile or flags to /etc inside: the mount refuses to start instead.
TEST_F(SymlinkPlantTest, APlantedLinkNeverSteersAMountInside) {
  ASSERT_NO_FATAL_FAILURE(Plant("/etc"));
  std::string file = MakeFile("file", "planted\n");
  for (const std::vector<std::string>& mount :
       {std::vector<std::string>{"--tmpfs", "/work/link"},
        std::vector<std::string>{"--ro-bind", file, "/work/link/passwd"},
        std::vector<std::string>{"--dir", "/work/link/sub"}}) {
    std::vector<std::string> flags = {"--bind", work_, "/work", "--ro-bind", BinDir(), "/etc"};
    flags.insert(flags.end(), mount.begin(), mount.end());
    RunResult r = RunProbe(flags, {"ls", "/etc"});
    EXPECT_EQ(r.exit_code, kExitSandboxFailure) << mount[0] << "\n" << r;
    EXPECT_NE(r.err.find("a symlink on the way lives on a writable mount"), std::string::npos)
        << mount[0] << "\n"
        << r;
    EXPECT_EQ(Lines(r.err).size(), 1u) << r;
  }
}

// Links the sandbox made itself, and links inside read-only binds, keep resolving.
TEST_F(FilesystemTest, TheSandboxsOwnLinksAndReadOnlyOnesStillLeadMounts) {
  RunResult own =
      RunProbe({"--dir", "/real", "--symlink", "/real", "/alias", "--tmpfs", "/alias/t"},
               {"statfs-type", "/real/t"});
  EXPECT_EQ(own.out, std::string(kTmpfsMagic) + " rw\n") << own;
  std::string ro = MakeDir("ro");
  ASSERT_EQ(::symlink("/real", (ro + "/link").c_str()), 0);
  RunResult in_ro = RunProbe({"--dir", "/real", "--ro-bind", ro, "/ro", "--tmpfs", "/ro/link/t"},
                             {"statfs-type", "/real/t"});
  EXPECT_EQ(in_ro.out, std::string(kTmpfsMagic) + " rw\n") << in_ro;
}

// A concurrent job sharing the checkout swaps a directory and a symlink to /etc while runs
// start: a run may refuse to start, never mount at /etc.
TEST_F(SymlinkPlantTest, SwappingADirectoryAndALinkWhileRunsStartRedirectsNone) {
  work_ = MakeDir("work", /*job_writable=*/true);
  ASSERT_EQ(::mkdir((work_ + "/sw").c_str(), 0755), 0);
  ASSERT_EQ(::symlink("/etc", (work_ + "/other").c_str()), 0);
  std::atomic<bool> stop{false};
  std::thread swapper([&] {
    while (!stop) {
      ::syscall(SYS_renameat2, AT_FDCWD, (work_ + "/sw").c_str(), AT_FDCWD,
                (work_ + "/other").c_str(), 2 /* RENAME_EXCHANGE */);
    }
  });
  int started = 0;
  // 20 runs: 9 of 30 were redirected before links on writable mounts were refused.
  for (int i = 0; i < 20; ++i) {
    RunResult r =
        RunProbe({"--bind", work_, "/work", "--ro-bind", BinDir(), "/etc", "--tmpfs", "/work/sw"},
                 {"ls", "/etc"});
    if (r.exit_code == kExitSandboxFailure) {
      EXPECT_EQ(Lines(r.err).size(), 1u) << r;
      continue;
    }
    ++started;
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_NE(r.out.find("probe\n"), std::string::npos) << "run " << i << " redirected\n" << r;
  }
  stop = true;
  swapper.join();
  std::cout << "started " << started << " of 20\n";
}

}  // namespace
}  // namespace sandbox::testing

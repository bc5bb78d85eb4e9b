// Who the job is: its ids and their mapping to the caller, its capabilities, no_new_privs, and
// its session and terminal.
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "fixture.h"

namespace sandbox::testing {
namespace {

constexpr char kNoCaps[] = "0000000000000000";

class IdentityTest : public SandboxTest {
 protected:
  // Runs `probe status` with `flags` and checks every capability set is empty and
  // no_new_privs is set.
  static void ExpectNoPrivileges(const std::vector<std::string>& flags) {
    RunResult r = RunProbe(flags, {"status"});
    ASSERT_EQ(r.exit_code, 0) << r;
    auto fields = StatusFields(r.out);
    for (const char* key : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
      EXPECT_EQ(fields[key], kNoCaps) << key << "\n" << r;
    }
    EXPECT_EQ(fields["NoNewPrivs"], "1") << r;
  }

  // "uid_map INSIDE OUTSIDE 1" as the probe prints it.
  static std::string MapLine(const char* label, unsigned inside, unsigned outside) {
    return std::string(label) + " " + std::to_string(inside) + " " + std::to_string(outside) + " 1";
  }
};

TEST_F(IdentityTest, HostRootHasFullCapabilities) {
  // Control for the next tests: the parser reads real values, and they are not all zero here.
  if (!AsRoot()) GTEST_SKIP() << "needs a privileged caller";
  auto fields = StatusFields(ReadHostFile("/proc/self/status"));
  EXPECT_NE(fields["CapBnd"], "") << "no CapBnd line in /proc/self/status";
  EXPECT_NE(fields["CapBnd"], kNoCaps);
}

TEST_F(IdentityTest, JobHasNoCapabilitiesAndNoNewPrivs) { ExpectNoPrivileges({}); }

TEST_F(IdentityTest, JobAsUid1000HasNoCapabilitiesAndNoNewPrivs) {
  ExpectNoPrivileges({"--uid", "1000", "--gid", "1000"});
}

TEST_F(IdentityTest, DefaultIdentityIsRootMappedToTheCaller) {
  RunResult r = RunProbe({}, {"ids"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 3u) << r;
  EXPECT_EQ(lines[0], "uid=0 gid=0 euid=0 egid=0") << r;
  EXPECT_EQ(lines[1], MapLine("uid_map", 0, RunUid())) << r;
  EXPECT_EQ(lines[2], MapLine("gid_map", 0, RunGid())) << r;
}

TEST_F(IdentityTest, UidAndGidFlagsMapToTheCaller) {
  RunResult r = RunProbe({"--uid", "1000", "--gid", "1000"}, {"ids"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_GE(lines.size(), 3u) << r;
  EXPECT_EQ(lines[0], "uid=1000 gid=1000 euid=1000 egid=1000") << r;
  EXPECT_EQ(lines[1], MapLine("uid_map", 1000, RunUid())) << r;
  EXPECT_EQ(lines[2], MapLine("gid_map", 1000, RunGid())) << r;
}

TEST_F(IdentityTest, JobLeadsItsOwnSession) {
  RunResult r = RunProbe({}, {"setsid-check"});
  ASSERT_EQ(r.exit_code, 0) << r;
  long sid = -1, pid = -2, pgid = -3;
  ASSERT_EQ(std::sscanf(r.out.c_str(), "sid=%ld pid=%ld pgid=%ld", &sid, &pid, &pgid), 3) << r;
  EXPECT_EQ(sid, pid) << r;
  EXPECT_EQ(pgid, pid) << r;
}

// Opens a pty pair; on failure *master is -1.
void OpenPty(int* master, int* slave) {
  *slave = -1;
  *master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*master < 0) return;
  if (grantpt(*master) == 0 && unlockpt(*master) == 0) {
    if (const char* name = ptsname(*master)) *slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  if (*slave < 0) {
    close(*master);
    *master = -1;
  }
}

TEST_F(IdentityTest, JobCannotPushInputIntoTheCallersTerminal) {
  int master = -1, slave = -1;
  OpenPty(&master, &slave);
  if (master < 0) GTEST_SKIP() << "no pty available: " << strerror(errno);
  struct Close {
    int a, b;
    ~Close() {
      close(a);
      close(b);
    }
  } close_both{master, slave};
  SpawnOptions options = DefaultOptions();
  options.terminal_fd = slave;  // the caller's controlling terminal, and the job's stdin

  // Control: a process still in the caller's session can push input (TIOCSTI).
  RunResult host = RunProcess(HostProbeArgv({"ioctl-tiocsti"}), options);
  if (host.out != "ok\n") GTEST_SKIP() << "TIOCSTI is disabled on this host\n" << host;

  RunResult r = RunProbe({}, {"ioctl-tiocsti"}, options);
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out.rfind("error EPERM ", 0), 0u) << "the job reached the caller's terminal\n" << r;
}

}  // namespace
}  // namespace sandbox::testing

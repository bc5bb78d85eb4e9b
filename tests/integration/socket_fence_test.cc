// Read-only means no channel to the host: a unix socket or FIFO of the host inside a read-only
// bind is refused to the job (the seccomp socket fence; for FIFOs Landlock, or without it the
// FIFO fence), unless the run names it; the sandbox's own sockets and FIFOs keep working.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "fixture.h"

namespace sandbox::testing {
namespace {

class SocketFenceTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    host_ = MakeDir("host");
    stream_ = Serve("s.sock", SOCK_STREAM);
    dgram_ = Serve("d.sock", SOCK_DGRAM);
  }
  void TearDown() override {
    if (stream_ >= 0) ::close(stream_);
    if (dgram_ >= 0) ::close(dgram_);
    SandboxTest::TearDown();
  }

  // A server of the host at HOST/name that the run user may reach (mode 0666), as a user's
  // agent or a world-writable daemon socket would be.
  int Serve(const std::string& name, int type) {
    int fd = ::socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::string path = host_ + "/" + name;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0)
        << path << ": " << std::strerror(errno);
    EXPECT_EQ(::chmod(path.c_str(), 0666), 0);
    if (type == SOCK_STREAM) {
      EXPECT_EQ(::listen(fd, 16), 0);
    }
    return fd;
  }

  std::string host_;
  int stream_ = -1;
  int dgram_ = -1;
};

// The host's end of a FIFO: open for reading (non-blocking) for the test's length.
class HostReader {
 public:
  explicit HostReader(const std::string& path)
      : fd_(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC)) {}
  ~HostReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  HostReader(const HostReader&) = delete;
  HostReader& operator=(const HostReader&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

bool KernelHasLandlock() {
  constexpr unsigned kVersion = 1U << 0;
  return ::syscall(SYS_landlock_create_ruleset, nullptr, 0, kVersion) > 0;
}

TEST_F(SocketFenceTest, HostSocketsInAReadOnlyBindAreRefused) {
  for (const char* landlock : {"auto", "off"}) {
    SCOPED_TRACE(std::string("--landlock ") + landlock);
    std::vector<std::string> flags = {"--landlock", landlock, "--ro-bind", host_, "/host"};
    RunResult r = RunProbe(flags, {"unix-connect", "/host/s.sock", "stream"});
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
    // Counted and named like any other denial.
    EXPECT_NE(r.err.find("sandbox: seccomp denied connect x1 (first: probe, pid "),
              std::string::npos)
        << r;
    r = RunProbe(flags, {"unix-connect", "/host/d.sock", "dgram"});
    EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
    r = RunProbe(flags, {"unix-sendto", "/host/d.sock"});
    EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
    // Through a symlink of the sandbox's own, and by a path relative to the job's cwd.
    std::vector<std::string> linked = flags;
    for (const char* f : {"--symlink", "/host/s.sock", "/tmp/link"}) linked.push_back(f);
    r = RunProbe(linked, {"unix-connect", "/tmp/link", "stream"});
    EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
    std::vector<std::string> in_host = flags;
    for (const char* f : {"--chdir", "/host"}) in_host.push_back(f);
    r = RunProbe(in_host, {"unix-connect", "s.sock", "stream"});
    EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
  }
}

TEST_F(SocketFenceTest, ASocketNamedByBindSocketIsReached) {
  std::vector<std::string> flags = {
      "--ro-bind",   host_,           "/host",           "--bind-socket", host_ + "/s.sock",
      "/run/s.sock", "--bind-socket", host_ + "/d.sock", "/run/d.sock"};
  RunResult r = RunProbe(flags, {"unix-connect", "/run/s.sock", "stream"});
  EXPECT_EQ(r.out, "connected\n") << r;
  r = RunProbe(flags, {"unix-sendto", "/run/d.sock"});
  EXPECT_EQ(r.out, "sent 4\n") << r;
  char got[8] = {};
  EXPECT_EQ(::recv(dgram_, got, sizeof(got), MSG_DONTWAIT), 4) << std::strerror(errno);
  // The same inode reached through the read-only bind of its directory is the named socket.
  r = RunProbe(flags, {"unix-connect", "/host/s.sock", "stream"});
  EXPECT_EQ(r.out, "connected\n") << r;
  // Only sockets can be named.
  MakeFile("host/plain", "x");
  r = RunProbe({"--bind-socket", host_ + "/plain", "/run/plain"}, {"exit", "0"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find("is not a unix socket"), std::string::npos) << r;
}

TEST_F(SocketFenceTest, TheSandboxsOwnSocketsWork) {
  for (const char* landlock : {"auto", "off"}) {
    SCOPED_TRACE(std::string("--landlock ") + landlock);
    RunResult r = RunProbe({"--landlock", landlock}, {"unix-self", "/tmp"});
    EXPECT_EQ(r.out, "ok\n") << r;
    EXPECT_EQ(r.err, "") << r;
    r = RunProbe({"--landlock", landlock}, {"tcp"});
    EXPECT_EQ(r.exit_code, 0) << r;
  }
  // A connect that has to wait is waited for (the supervisor makes it, without blocking).
  RunResult backlog = RunProbe({}, {"unix-backlog", "/tmp"});
  EXPECT_EQ(backlog.out, "ok\n") << backlog;
  // A writable bind of the host is the user's grant: its sockets stay reachable.
  std::string rw = MakeDir("rw", true);
  RunResult r = RunProbe({"--bind", rw, "/rw"}, {"unix-self", "/rw"});
  EXPECT_EQ(r.out, "ok\n") << r;
}

// `sandbox enter` answers its process's calls itself, from inside the run's mount namespace.
TEST_F(SocketFenceTest, AnEnteredProcessMeetsTheSameFence) {
  std::string name = "it-" + RandomName(8);
  std::vector<std::string> args = {"--name", name, "--ro-bind", host_, "/host"};
  for (const std::string& f : CommonFlags()) args.push_back(f);
  for (const char* f : {"--", "/sbx/probe", "sleep", "30"}) args.push_back(f);
  Process run(SandboxArgv(args), DefaultOptions());
  bool listed = false;
  for (int i = 0; i < 200 && !listed; ++i) {
    listed = RunSandbox({"ps"}).out.find(name + " ") != std::string::npos;
    if (!listed) ::usleep(20'000);
  }
  ASSERT_TRUE(listed);
  RunResult r =
      RunSandbox({"enter", name, "--", "/sbx/probe", "unix-connect", "/host/s.sock", "stream"});
  EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
  EXPECT_NE(r.err.find("sandbox: seccomp denied connect x1"), std::string::npos) << r;
  r = RunSandbox({"enter", name, "--", "/sbx/probe", "unix-self", "/tmp"});
  EXPECT_EQ(r.out, "ok\n") << r;
  RunSandbox({"stop", name, "--grace", "100ms"});
}

// `sandbox enter` makes the entered process's fenced calls while it holds every capability in
// the run's user namespace; they must be made without them (as_the_job.h). Without Landlock
// the entered process's write-opens go through enter: a file of the run user's, mode 0444, on
// a writable bind is refused to it as to the job (CAP_DAC_OVERRIDE would open it).
TEST_F(SocketFenceTest, AnEnteredProcessesFencedCallsCarryNoCapability) {
  std::string dir = MakeDir("own", /*job_writable=*/true);
  std::string file = dir + "/read-only";
  ASSERT_EQ(::close(::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0444)), 0);
  if (AsRoot()) {
    ASSERT_EQ(::chown(file.c_str(), RunUid(), RunGid()), 0) << std::strerror(errno);
  }
  ASSERT_EQ(::chmod(file.c_str(), 0444), 0);
  std::string name = "it-" + RandomName(8);
  std::vector<std::string> args = {"--name", name, "--landlock", "off", "--bind", dir, "/own"};
  for (const std::string& f : CommonFlags()) args.push_back(f);
  for (const char* f : {"--", "/sbx/probe", "sleep", "30"}) args.push_back(f);
  Process run(SandboxArgv(args), DefaultOptions());
  // The job itself: refused by the kernel (no capability, not the file's writer).
  RunResult r =
      RunProbe({"--landlock", "off", "--bind", dir, "/own"}, {"open-write", "/own/read-only"});
  EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
  bool listed = false;
  for (int i = 0; i < 200 && !listed; ++i) {
    listed = RunSandbox({"ps"}).out.find(name + " ") != std::string::npos;
    if (!listed) ::usleep(20'000);
  }
  ASSERT_TRUE(listed);
  r = RunSandbox({"enter", name, "--", "/sbx/probe", "open-write", "/own/read-only"});
  EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
  // Once the owner may write it, the same open goes through.
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  r = RunSandbox({"enter", name, "--", "/sbx/probe", "open-write", "/own/read-only"});
  EXPECT_EQ(r.out, "opened\n") << r;
  RunSandbox({"stop", name, "--grace", "100ms"});
}

// sendmsg and sendmmsg carry their destination inside a msghdr in memory: the supervisor makes
// them too, so a datagram to a host socket in a read-only bind (journald's, /dev/log) is refused
// like sendto's, through every entry point the kernel offers.
TEST_F(SocketFenceTest, SendmsgToAHostSocketInAReadOnlyBindIsRefused) {
  for (const char* landlock : {"auto", "off"}) {
    SCOPED_TRACE(std::string("--landlock ") + landlock);
    std::vector<std::string> flags = {"--landlock", landlock, "--ro-bind", host_, "/host"};
    RunResult r = RunProbe(flags, {"unix-sendmsg", "/host/d.sock", "msg"});
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
    EXPECT_NE(r.err.find("sandbox: seccomp denied sendmsg x1 (first: probe, pid "),
              std::string::npos)
        << r;
    r = RunProbe(flags, {"unix-sendmsg", "/host/d.sock", "mmsg"});
    EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
    EXPECT_NE(r.err.find("sandbox: seccomp denied sendmmsg x1 (first: probe, pid "),
              std::string::npos)
        << r;
  }
  // The 32-bit layouts: i386 (int 0x80; skipped where the kernel runs no i386 code) and x32.
  std::vector<std::string> flags = {"--ro-bind", host_, "/host"};
  for (const char* abi : {"i386", "x32"}) {
    for (const char* form : {"msg", "mmsg"}) {
      SCOPED_TRACE(std::string(abi) + " " + form);
      RunResult r = RunProbe(flags, {"unix-sendmsg", "/host/d.sock", form, abi});
      if (r.out.rfind("unsupported", 0) == 0) continue;
      EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
    }
  }
  // Nothing reached the host's socket.
  char got[8];
  EXPECT_EQ(::recv(dgram_, got, sizeof(got), MSG_DONTWAIT), -1);
}

TEST_F(SocketFenceTest, SendmsgReachesNamedAndWritableSockets) {
  std::vector<std::string> flags = {"--ro-bind",       host_,        "/host", "--bind-socket",
                                    host_ + "/d.sock", "/run/d.sock"};
  char got[8] = {};
  RunResult r = RunProbe(flags, {"unix-sendmsg", "/run/d.sock", "msg"});
  EXPECT_EQ(r.out, "sent 4\n") << r;
  EXPECT_EQ(::recv(dgram_, got, sizeof(got), MSG_DONTWAIT), 4) << std::strerror(errno);
  EXPECT_EQ(std::string(got, 4), "ping");
  r = RunProbe(flags, {"unix-sendmsg", "/run/d.sock", "mmsg"});
  EXPECT_EQ(r.out, "sent 2: 4 4\n") << r;
  EXPECT_EQ(::recv(dgram_, got, sizeof(got), MSG_DONTWAIT), 4);
  EXPECT_EQ(std::string(got, 4), "ping");
  EXPECT_EQ(::recv(dgram_, got, sizeof(got), MSG_DONTWAIT), 4);
  EXPECT_EQ(std::string(got, 4), "pong");
  // The 32-bit layouts are read and the lengths written back as the kernel would.
  for (const char* abi : {"i386", "x32"}) {
    SCOPED_TRACE(abi);
    r = RunProbe(flags, {"unix-sendmsg", "/run/d.sock", "mmsg", abi});
    if (r.out.rfind("unsupported", 0) == 0) continue;
    EXPECT_EQ(r.out, "sent 2: 4 4\n") << r;
    while (::recv(dgram_, got, sizeof(got), MSG_DONTWAIT) > 0) {
    }
  }
  // The host's socket through a writable bind of its directory: the user's grant.
  r = RunProbe({"--bind", host_, "/host"}, {"unix-sendmsg", "/host/d.sock", "msg"});
  EXPECT_EQ(r.out, "sent 4\n") << r;
  EXPECT_EQ(r.err, "") << r;
}

// sendmsg as programs use it every day: on connected sockets, several iovecs, sendmmsg's
// lengths, descriptors passed with SCM_RIGHTS (usable on arrival), waiting on a full queue.
TEST_F(SocketFenceTest, OrdinarySendmsgWorks) {
  for (const char* landlock : {"auto", "off"}) {
    SCOPED_TRACE(std::string("--landlock ") + landlock);
    RunResult r = RunProbe({"--landlock", landlock}, {"sendmsg-local"});
    EXPECT_EQ(r.out, "ok\n") << r;
    EXPECT_EQ(r.err, "") << r;
  }
  // Credentials would name the job's pid from the supervisor, whose pid differs: refused.
  RunResult r = RunProbe({}, {"sendmsg-creds"});
  EXPECT_EQ(r.out.rfind("error EPERM", 0), 0u) << r;
  EXPECT_NE(r.err.find("sandbox: seccomp denied sendmsg x1"), std::string::npos) << r;
}

// The supervisor sends for the job, so what the kernel checks against the sender must not pass
// on the supervisor's privilege (it owns the user namespace above the sandbox's): a netlink
// multicast send needs CAP_NET_ADMIN, which the job does not have.
TEST_F(SocketFenceTest, NetlinkGroupsNeedTheJobsOwnPrivilege) {
  RunResult r = RunProbe({}, {"netlink-group-send"});
  EXPECT_EQ(r.out.rfind("error EPERM", 0), 0u) << r;
}

TEST_F(SocketFenceTest, AFifoInAReadOnlyBindCannotBeOpenedForWriting) {
  if (!KernelHasLandlock()) GTEST_SKIP() << "this kernel has no Landlock";
  std::string fifo = host_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0666), 0) << std::strerror(errno);
  ASSERT_EQ(::chmod(fifo.c_str(), 0666), 0);
  RunResult r = RunProbe({"--ro-bind", host_, "/host"}, {"open-write", "/host/fifo"});
  EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
}

// Without Landlock the FIFO fence refuses the same (the supervisor makes the job's
// write-opens): with a host reader waiting, nothing reaches it.
TEST_F(SocketFenceTest, WithoutLandlockAHostFifoInAReadOnlyBindIsRefused) {
  std::string fifo = host_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0666), 0) << std::strerror(errno);
  ASSERT_EQ(::chmod(fifo.c_str(), 0666), 0);
  HostReader reader(fifo);
  ASSERT_GE(reader.get(), 0) << std::strerror(errno);
  std::vector<std::string> flags = {"--landlock", "off", "--ro-bind", host_, "/host"};
  RunResult r = RunProbe(flags, {"fifo-write", "/host/fifo"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
  EXPECT_NE(r.err.find("sandbox: seccomp denied openat x1 (first: probe, pid 2)"),
            std::string::npos)
      << r;
  // Through a symlink of the sandbox's own, by a relative path, and O_RDWR (which never waits).
  r = RunProbe({"--landlock", "off", "--ro-bind", host_, "/host", "--symlink", "/host/fifo",
                "/tmp/link", "--chdir", "/host"},
               {"fifo-write", "/tmp/link"});
  EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
  r = RunProbe({"--landlock", "off", "--ro-bind", host_, "/host", "--chdir", "/host"},
               {"fifo-write", "fifo"});
  EXPECT_EQ(r.out.rfind("error EACCES", 0), 0u) << r;
  char got[16];
  EXPECT_LE(::read(reader.get(), got, sizeof(got)), 0);
}

// A FIFO the run may write: on a writable bind (the user's grant), the one named with a
// writable bind of the FIFO itself, and the sandbox's own (a blocking open waits for the reader).
TEST_F(SocketFenceTest, WithoutLandlockWritableAndNamedFifosWork) {
  std::string fifo = host_ + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0666), 0) << std::strerror(errno);
  ASSERT_EQ(::chmod(fifo.c_str(), 0666), 0);
  HostReader reader(fifo);
  ASSERT_GE(reader.get(), 0) << std::strerror(errno);
  char got[16] = {};
  RunResult r =
      RunProbe({"--landlock", "off", "--bind", host_, "/host"}, {"fifo-write", "/host/fifo"});
  EXPECT_EQ(r.out, "wrote\n") << r;
  EXPECT_EQ(r.err, "") << r;
  EXPECT_EQ(::read(reader.get(), got, sizeof(got)), 6);
  r = RunProbe({"--landlock", "off", "--ro-bind", host_, "/host", "--bind", fifo, "/host/fifo"},
               {"fifo-write", "/host/fifo"});
  EXPECT_EQ(r.out, "wrote\n") << r;
  EXPECT_EQ(::read(reader.get(), got, sizeof(got)), 6);
  r = RunProbe({"--landlock", "off"}, {"fifo-pair", "/tmp"});
  EXPECT_EQ(r.out, "read hello\n") << r;
  EXPECT_EQ(r.err, "") << r;
}

// The opens of a build behave the same with the fence as without it (umask, O_EXCL, O_TRUNC,
// O_APPEND, O_CLOEXEC, dirfds, the cwd, symlinks, O_TMPFILE, /dev/stderr, openat2's RESOLVE_*).
TEST_F(SocketFenceTest, OrdinaryOpensAreUnchangedByTheFifoFence) {
  RunResult bare =
      RunProbe({"--seccomp-policy", "none", "--landlock", "off"}, {"open-cases", "/tmp"});
  EXPECT_EQ(bare.exit_code, 0) << bare;
  EXPECT_NE(bare.out.find("create-excl ok mode=640 cloexec=1"), std::string::npos) << bare;
  for (const char* landlock : {"off", "auto"}) {
    SCOPED_TRACE(std::string("--landlock ") + landlock);
    RunResult r = RunProbe({"--landlock", landlock}, {"open-cases", "/tmp"});
    EXPECT_EQ(r.out, bare.out) << r;
    EXPECT_EQ(r.err, "") << r;
  }
}

}  // namespace
}  // namespace sandbox::testing

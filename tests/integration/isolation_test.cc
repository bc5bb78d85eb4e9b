// What the job can see of the host: processes, files, hostname, network, SysV IPC, and whether
// anything it starts outlives the sandbox.
#include <net/if.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fixture.h"

namespace sandbox::testing {
namespace {

class IsolationTest : public SandboxTest {};

std::set<long> ParsePids(const std::string& out) {
  std::set<long> pids;
  for (const std::string& line : Lines(out)) pids.insert(std::stol(line));
  return pids;
}

TEST_F(IsolationTest, OnlyTheSandboxesOwnPidsAreVisible) {
  // Control: the same listing on the host shows this test process. Run as the caller, not the
  // run user, so a /proc mounted with hidepid= cannot hide it.
  RunResult host = RunProcess({BinDir() + "/probe", "pids"}, DefaultOptions());
  ASSERT_EQ(host.exit_code, 0) << host;
  ASSERT_EQ(ParsePids(host.out).count(getpid()), 1u) << host;

  RunResult r = RunProbe({}, {"pids"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::set<long> pids = ParsePids(r.out);
  EXPECT_EQ(pids.count(1), 1u) << "no init as pid 1\n" << r;
  // pid 1 (init) and the probe itself; a helper process at most besides.
  EXPECT_GE(pids.size(), 2u) << r;
  EXPECT_LE(pids.size(), 3u) << r;
  for (pid_t host_pid : {getpid(), getppid()}) {
    if (host_pid > 3) {
      EXPECT_EQ(pids.count(host_pid), 0u) << "host pid " << host_pid << "\n" << r;
    }
  }
}

TEST_F(IsolationTest, HostFilesOutsideTheBindsAreAbsent) {
  std::string canary = MakeFile("canary", "canary-content\n");
  for (const std::string& path :
       {canary, scratch(), std::string("/etc/passwd"), std::string("/usr"), BinDir() + "/probe"}) {
    RunResult r = RunProbe({}, {"exists", path});
    EXPECT_EQ(r.exit_code, 1) << path << "\n" << r;
    EXPECT_EQ(r.out, "no\n") << path << "\n" << r;
  }

  // The same file through a bind is there, with its content.
  RunResult seen = RunProbe({"--ro-bind", scratch(), "/data"}, {"exists", "/data/canary"});
  EXPECT_EQ(seen.exit_code, 0) << seen;
  EXPECT_EQ(seen.out, "yes\n") << seen;
  RunResult read = RunProbe({"--ro-bind", scratch(), "/data"}, {"read", "/data/canary"});
  EXPECT_EQ(read.exit_code, 0) << read;
  EXPECT_EQ(read.out, "canary-content\n") << read;
}

TEST_F(IsolationTest, HostnameDefaultsToSandbox) {
  RunResult r = RunProbe({}, {"hostname"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "sandbox\n") << r;
}

TEST_F(IsolationTest, HostnameFlagSetsHostname) {
  RunResult r = RunProbe({"--hostname", "foo"}, {"hostname"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "foo\n") << r;
}

TEST_F(IsolationTest, NetworkIsLoopbackOnlyAndWorks) {
  RunResult ifs = RunProbe({}, {"netifs"});
  EXPECT_EQ(ifs.exit_code, 0) << ifs;
  EXPECT_EQ(ifs.out, "lo up\n") << ifs;
  RunResult tcp = RunProbe({}, {"tcp"});
  EXPECT_EQ(tcp.exit_code, 0) << tcp;
  EXPECT_EQ(tcp.out, "ok\n") << tcp;
}

TEST_F(IsolationTest, ShareNetShowsTheHostInterfaces) {
  std::set<std::string> host_names;
  if (struct if_nameindex* list = if_nameindex()) {
    for (struct if_nameindex* i = list; i->if_index != 0; ++i) {
      if (i->if_index <= 1024) host_names.insert(i->if_name);  // the probe's scan limit
    }
    if_freenameindex(list);
  }
  if (host_names.size() <= 1) GTEST_SKIP() << "the host has no interface besides lo";

  RunResult r = RunProbe({"--share-net"}, {"netifs"});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::set<std::string> seen;
  for (const std::string& line : Lines(r.out)) seen.insert(line.substr(0, line.find(' ')));
  EXPECT_EQ(seen, host_names) << r;
}

TEST_F(IsolationTest, HostMessageQueueIsInvisible) {
  std::mt19937 engine{std::random_device{}()};
  key_t key = 0;
  int id = -1;
  for (int attempt = 0; attempt < 20 && id < 0; ++attempt) {
    key = static_cast<key_t>(std::uniform_int_distribution<int>(0x10000, 0x7fffffff)(engine));
    id = msgget(key, IPC_CREAT | IPC_EXCL | 0666);
  }
  ASSERT_GE(id, 0) << "msgget: " << strerror(errno);
  struct Remove {
    int id;
    ~Remove() { msgctl(id, IPC_RMID, nullptr); }
  } remove{id};
  std::string key_text = std::to_string(key);

  // Control: the run user sees the queue on the host.
  RunResult host = RunProcess(HostProbeArgv({"msgq", key_text}), DefaultOptions());
  ASSERT_EQ(host.exit_code, 0) << host;
  ASSERT_EQ(host.out, "present\n") << host;

  RunResult r = RunProbe({}, {"msgq", key_text});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(r.out, "absent\n") << r;
}

// Waits up to `limit` for every host process named `comm` to disappear; returns the survivors.
std::vector<pid_t> WaitForNoComm(const std::string& comm, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  std::vector<pid_t> pids = HostPidsWithComm(comm);
  while (!pids.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pids = HostPidsWithComm(comm);
  }
  return pids;
}

TEST_F(IsolationTest, ScanFindsADaemonStartedOnTheHost) {
  // Control for the next test: the scan does find a probe daemon that nothing contains.
  std::string name = "sbxh" + RandomName(6);
  RunResult r = RunProcess(HostProbeArgv({"daemon", name}), DefaultOptions());
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<pid_t> found = HostPidsWithComm(name);
  for (pid_t pid : found) kill(pid, SIGKILL);
  ASSERT_EQ(Lines(r.out).size(), 1u) << r;
  pid_t reported = static_cast<pid_t>(std::stol(r.out));
  EXPECT_EQ(found, std::vector<pid_t>{reported}) << r;
}

TEST_F(IsolationTest, NoProcessOutlivesTheSandbox) {
  std::string name = "sbxd" + RandomName(6);
  RunResult r = RunProbe({}, {"daemon", name});
  ASSERT_EQ(r.exit_code, 0) << r;
  std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 1u) << r;
  ASSERT_FALSE(lines[0].empty()) << r;
  EXPECT_TRUE(std::all_of(lines[0].begin(), lines[0].end(), ::isdigit)) << "daemon pid\n" << r;

  std::vector<pid_t> survivors = WaitForNoComm(name, std::chrono::seconds(2));
  for (pid_t pid : survivors) {
    ADD_FAILURE() << "host pid " << pid << " (" << name << ") outlived the sandbox";
    kill(pid, SIGKILL);
  }
}

}  // namespace
}  // namespace sandbox::testing

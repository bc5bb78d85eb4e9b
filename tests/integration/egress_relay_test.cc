// The egress proxy's relay (src/egress/connection.cc) moves bulk bytes intact, both ways, at
// once, through its two buffers: a multi-MiB download arrives whole through the proxy
// variables and transparently; an echo of 32 MiB with a reader that lags comes back byte for
// byte (the relay then waits on a full side instead of reading on); a download whose reader
// stalls while holding the bulk buffer holds up no other; and downloads the job never reads
// leave the proxy's memory bounded. From inside a real sandbox run as uid 65534; the servers
// are on the host's loopback.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "egress_fixture.h"
#include "host_server.h"

namespace sandbox::testing {
namespace {

// Echoes every byte of one connection back as it comes, then closes its side after the
// client's. Blocking writes: while the client does not read, the echo stops reading too, so
// the relay between sees both of its sides full.
class EchoServer {
 public:
  EchoServer() {
    uint16_t port = 0;
    fd_ = ListenOnLoopback(&port);
    if (fd_ < 0) return;
    port_ = port;
    thread_ = std::thread([this] { Serve(); });
  }
  ~EchoServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }
  uint64_t echoed() const { return echoed_; }

 private:
  void Serve() {
    int client = -1;
    while (!stop_ && client < 0) {
      pollfd ready = {fd_, POLLIN, 0};
      if (::poll(&ready, 1, 50) > 0) client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    }
    if (client < 0) return;
    char buffer[1 << 16];
    for (;;) {
      ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      for (ssize_t off = 0; off < n;) {
        ssize_t w = ::send(client, buffer + off, static_cast<size_t>(n - off), MSG_NOSIGNAL);
        if (w <= 0) {
          ::close(client);
          return;
        }
        off += w;
        echoed_ += static_cast<uint64_t>(w);
      }
    }
    ::shutdown(client, SHUT_WR);
    ::close(client);
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<uint64_t> echoed_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Bytes no compression or coincidence makes equal: a fixed-seed stream.
std::string PseudoRandomBytes(size_t size) {
  std::mt19937_64 generator(17);
  std::string bytes(size, '\0');
  for (size_t i = 0; i + 8 <= size; i += 8) {
    uint64_t v = generator();
    std::memcpy(&bytes[i], &v, sizeof(v));
  }
  return bytes;
}

// The proxy's resident size (VmRSS) or peak (VmHWM) in kB, or -1.
long ProxyKb(pid_t proxy, const std::string& field) {
  auto fields = StatusFields(ReadHostFile("/proc/" + std::to_string(proxy) + "/status"));
  return fields.count(field) != 0 ? std::atol(fields[field].c_str()) : -1;
}

// Watches the proxy of the run whose supervisor is `supervisor`, from the host, while the run
// lasts: its resident size half a second after it was first seen (started, and idle if the
// job gives it nothing to do yet), and its peak (VmHWM) when last seen.
class ProxyMemoryWatch {
 public:
  explicit ProxyMemoryWatch(pid_t supervisor) : supervisor_(supervisor) {
    thread_ = std::thread([this] { Watch(); });
  }
  ~ProxyMemoryWatch() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  long settled_rss_kb() const { return settled_rss_kb_; }
  long peak_kb() const { return peak_kb_; }

 private:
  void Watch() {
    pid_t proxy = -1;
    std::chrono::steady_clock::time_point seen;
    while (!stop_) {
      if (proxy < 0) {
        proxy = ProxyOf(supervisor_);
        seen = std::chrono::steady_clock::now();
      }
      if (proxy > 0) {
        if (settled_rss_kb_ < 0 &&
            std::chrono::steady_clock::now() - seen >= std::chrono::milliseconds(500)) {
          settled_rss_kb_ = ProxyKb(proxy, "VmRSS");
        }
        peak_kb_ = std::max(peak_kb_.load(), ProxyKb(proxy, "VmHWM"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  pid_t supervisor_;
  std::atomic<long> settled_rss_kb_{-1};
  std::atomic<long> peak_kb_{-1};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// `size` bytes (a multiple of 8) of 8-digit counters, "00000000" "00000001" ...: a job can
// check them without a copy, and a byte out of place changes a digit.
std::string CounterBytes(size_t size) {
  std::string bytes(size, '\0');
  char digits[24];  // room for any size_t: the counters stay under 8 digits for any test's size
  for (size_t i = 0; i + 8 <= size; i += 8) {
    std::snprintf(digits, sizeof(digits), "%08zu", i / 8);
    std::memcpy(&bytes[i], digits, 8);
  }
  return bytes;
}

// A job script: opens a connection to `name` at the first of `ports` and, `idle` seconds
// later, sends it a request; `pause` seconds after that does the same at each other port at
// once; and, `stall` seconds after the last, reads the replies whole back to front. Prints
// each reply's size and whether it ends with CounterBytes(body_size).
std::string StalledDownloads(const std::string& name, const std::vector<int>& ports,
                             size_t body_size, int idle, int pause, int stall) {
  std::string list;
  for (int port : ports) list += std::to_string(port) + ",";
  return "import socket, time\n"
         "body = ''.join('%08d' % k for k in range(" +
         std::to_string(body_size / 8) +
         ")).encode()\n"
         "request = b'GET / HTTP/1.0\\r\\n\\r\\n'\n"
         "name = '" +
         name + "'\nports = [" + list +
         "]\n"
         "first = socket.create_connection((name, ports[0]))\n"
         "time.sleep(" +
         std::to_string(idle) +
         ")\n"
         "first.sendall(request)\n"
         "time.sleep(" +
         std::to_string(pause) +
         ")\n"
         "socks = [first] + [socket.create_connection((name, p)) for p in ports[1:]]\n"
         "for s in socks[1:]: s.sendall(request)\n"
         "time.sleep(" +
         std::to_string(stall) +
         ")\n"
         "for s in reversed(socks):\n"
         "    data = bytearray()\n"
         "    while True:\n"
         "        b = s.recv(1 << 20)\n"
         "        if not b: break\n"
         "        data += b\n"
         "    print(len(data), data.endswith(body))\n";
}

class EgressRelayTest : public EgressFixture {
 protected:
  void SetUp() override {
    EgressFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!HostHas("/usr/bin/python3")) GTEST_SKIP() << "needs /usr/bin/python3";
  }
};

// 24 MiB (many of the relay's steps, each bounded by the job's side) through the proxy
// variables and through the socket fence: every byte arrives, in order, and the report counts
// them all.
TEST_F(EgressRelayTest, ABulkDownloadArrivesWholeEitherWay) {
  const std::string body = PseudoRandomBytes(24 << 20);
  HostServer server(body);
  std::string port = std::to_string(server.port());
  std::string reply_size = std::to_string(HostServer::ReplyTo(body).size());
  for (bool transparent : {false, true}) {
    SCOPED_TRACE(transparent ? "transparent" : "through the proxy variables");
    std::vector<std::string> curl = {"curl", "-sS", "http://registry.test:" + port + "/big"};
    if (transparent) curl.insert(curl.begin() + 1, {"--noproxy", "*"});
    RunResult r = Run(
        {"--allow-host", "registry.test:" + port, "--resolve", "registry.test:127.0.0.1"}, curl);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.size(), body.size());
    EXPECT_TRUE(r.out == body) << "the download differs from what the server sent";
    RunResult check = Check({R"(network.destinations.0.host="registry.test")",
                             "network.destinations.0.bytes_received=" + reply_size});
    EXPECT_EQ(check.exit_code, 0) << check;
  }
}

// 32 MiB up and the same back at once, on a port whose bytes the proxy does not read (no
// head to check), while the job's reader starts a second late: the relay's job side fills,
// the echo stops reading, the upload stalls, and then everything drains. The job compares
// what came back with what it sent.
TEST_F(EgressRelayTest, AnEchoBothWaysAtOnceComesBackIntactWhenTheReaderLags) {
  EchoServer echo;
  std::string port = std::to_string(echo.port());
  std::string script =
      "import hashlib, random, socket, threading, time\n"
      "data = random.Random(7).randbytes(32 << 20)\n"
      "s = socket.create_connection(('echo.test', " +
      port +
      "))\n"
      "got = hashlib.sha256(); n = [0]\n"
      "def read():\n"
      "    time.sleep(1)\n"
      "    while True:\n"
      "        b = s.recv(1 << 16)\n"
      "        if not b: break\n"
      "        got.update(b); n[0] += len(b)\n"
      "t = threading.Thread(target=read); t.start()\n"
      "s.sendall(data); s.shutdown(socket.SHUT_WR); t.join()\n"
      "print(n[0], got.digest() == hashlib.sha256(data).digest())\n";
  RunResult r = Run({"--allow-host", "echo.test:" + port, "--resolve", "echo.test:127.0.0.1"},
                    {"/usr/bin/python3", "-c", script});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, std::to_string(32 << 20) + " True\n") << r;
  EXPECT_EQ(echo.echoed(), uint64_t{32} << 20);
  std::string size = std::to_string(32 << 20);
  RunResult check = Check({R"(network.destinations.0.host="echo.test")",
                           "network.destinations.0.bytes_sent=" + size,
                           "network.destinations.0.bytes_received=" + size});
  EXPECT_EQ(check.exit_code, 0) << check;
}

// One download's reader stalls while the proxy holds the rest of it in the bulk buffer (the
// job reads nothing of it for two seconds); a second download, started a second after it and
// read first, must still arrive whole (through the step buffer), and the first then too.
TEST_F(EgressRelayTest, AStalledDownloadHoldingTheBulkBufferHoldsUpNoOther) {
  const std::string body = CounterBytes(24 << 20);
  HostServer first(body);
  HostServer second(body);
  std::vector<int> ports = {first.port(), second.port()};
  std::vector<std::string> flags = {"--resolve", "bulk.test:127.0.0.1"};
  for (int port : ports) {
    flags.insert(flags.end(), {"--allow-host", "bulk.test:" + std::to_string(port)});
  }
  // The script reads back to front: the second download whole, then the first.
  RunResult r = Run(flags, {"/usr/bin/python3", "-c",
                            StalledDownloads("bulk.test", ports, body.size(), 0, 1, 1)});
  EXPECT_EQ(r.exit_code, 0) << r;
  std::string line = std::to_string(HostServer::ReplyTo(body).size()) + " True\n";
  EXPECT_EQ(r.out, line + line) << r;
}

// Eight downloads of 16 MiB each that the job leaves unread for two seconds: the proxy reads
// ahead into its bulk buffer for one of them only, and no more than the job's side can take for
// the others, so its memory grows by its two buffers at most, not by what the servers send
// (tens of MiB here). Its resident size is read from the host while the run lasts; the job
// holds one connection open and idle for a second first, so that the proxy's own size is
// seen before any download.
TEST_F(EgressRelayTest, DownloadsTheJobLeavesUnreadDoNotGrowTheProxysMemory) {
  const std::string body = CounterBytes(16 << 20);
  std::vector<std::unique_ptr<HostServer>> servers;
  std::vector<int> ports;
  std::vector<std::string> flags = {"--resolve", "bulk.test:127.0.0.1"};
  for (int i = 0; i < 8; ++i) {
    servers.push_back(std::make_unique<HostServer>(body));
    ports.push_back(servers.back()->port());
    flags.insert(flags.end(), {"--allow-host", "bulk.test:" + std::to_string(ports.back())});
  }
  Process run(
      SandboxArgv(Args(flags, {"/usr/bin/python3", "-c",
                               StalledDownloads("bulk.test", ports, body.size(), 1, 0, 2)})),
      DefaultOptions());
  ProxyMemoryWatch watch(run.pid());
  RunResult r = run.Finish();
  watch.Stop();
  EXPECT_EQ(r.exit_code, 0) << r;
  std::string line = std::to_string(HostServer::ReplyTo(body).size()) + " True\n";
  std::string expected;
  for (size_t i = 0; i < ports.size(); ++i) expected += line;
  EXPECT_EQ(r.out, expected) << r;
  ASSERT_GT(watch.settled_rss_kb(), 0) << "the run's proxy was not found";
  // The bulk buffer (4 MiB) and the step buffer (256 KiB), touched in full, and what the
  // kernel's accounting lets a step overshoot: well under 8 MiB more. Reading ahead for
  // every connection would add up to 4 MiB each, 32 MiB here.
  EXPECT_LT(watch.peak_kb() - watch.settled_rss_kb(), 8 * 1024)
      << "peak " << watch.peak_kb() << " kB, " << watch.settled_rss_kb() << " kB when idle";
}

}  // namespace
}  // namespace sandbox::testing

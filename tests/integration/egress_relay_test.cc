// The egress proxy's relay (src/egress/connection.cc) moves bulk bytes intact, both ways, at
// once, through the buffer its connections share: a multi-MiB download arrives whole through
// the proxy variables and transparently, and an echo of 32 MiB with a reader that lags comes
// back byte for byte (the relay then waits on a full side instead of reading on). From inside
// a real sandbox run as uid 65534; the servers are on the host's loopback.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <thread>

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

}  // namespace
}  // namespace sandbox::testing

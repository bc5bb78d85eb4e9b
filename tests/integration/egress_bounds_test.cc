// The egress proxy's bounds (docs/network.md, "Bounds"), from inside a real sandbox run as uid
// 65534: hostile clients (oversized heads, malformed CONNECT lines, garbage, ClientHellos that
// are cut short or lie about their lengths, a client trickling its head, more connections
// than the proxy takes) are refused, and the proxy goes on serving a good request in the same
// run. The hostile clients are python3 scripts in the sandbox; the good request is curl.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "egress/control.h"
#include "host_server.h"
#include "profile_fixture.h"

namespace sandbox::testing {
namespace {

// What every script starts with: `proxy_request(data)` sends `data` on a new connection to
// the proxy's listener (as a program honouring HTTP_PROXY would) and prints the reply's
// first line, or "closed" when the proxy closed without one; `good()` is a request the proxy
// must serve, and prints the body.
constexpr char kPrelude[] = R"(
import os, select, socket, subprocess, sys, time
PORT = sys.argv[1]
def reply_of(s, wait=15):
    s.settimeout(wait)
    data = b''
    try:
        while b'\n' not in data:
            chunk = s.recv(4096)
            if not chunk: break
            data += chunk
    except ConnectionResetError:
        pass
    except socket.timeout:
        return 'no answer'
    return data.split(b'\r\n')[0].decode(errors='replace') if data else 'closed'
def proxy_request(data):
    s = socket.create_connection(('127.0.0.1', 3128))
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:  # the proxy answered and closed first (ENOTCONN): its answer is read below
        pass
    print(reply_of(s), flush=True)
    s.close()
def good():
    r = subprocess.run(['curl', '-sS', 'http://registry.test:' + PORT + '/'],
                       capture_output=True, text=True)
    print(r.stdout.strip() or 'curl failed: ' + r.stderr.strip(), flush=True)
)";

class EgressBoundsTest : public ProfileFixture {
 protected:
  void SetUp() override {
    ProfileFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!HostHas("/usr/bin/curl")) GTEST_SKIP() << "needs curl";
    if (!HostHas("/usr/bin/python3")) GTEST_SKIP() << "needs /usr/bin/python3";
  }

  // The script (after kPrelude) in a sandbox that may reach registry.test on the origin's port
  // and on 443 (refused before any connection is made there).
  RunResult RunScript(const HostServer& origin, const std::string& script,
                      std::vector<std::string> flags = {}) {
    std::vector<std::string> args = {
        "--profile",    Profiles() + "/base.toml",
        "--allow-host", "registry.test:" + std::to_string(origin.port()),
        "--allow-host", "registry.test:443",
        "--resolve",    "registry.test:127.0.0.1"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"--", "/usr/bin/python3", "-c", std::string(kPrelude) + script,
                             std::to_string(origin.port())});
    SpawnOptions options = DefaultOptions();
    options.timeout = std::chrono::milliseconds(50000);
    return RunSandbox(args, options);
  }
};

// A head past 16 KiB gets 431 (without the bound the proxy would read on and answer nothing
// until the head deadline); a good request in the same run is still served.
TEST_F(EgressBoundsTest, AnOversizedHeadIsRefusedAndTheProxyKeepsServing) {
  HostServer origin("served\n");
  RunResult r = RunScript(origin, R"(
proxy_request(b'GET http://registry.test:' + PORT.encode() + b'/ HTTP/1.1\r\nX-Pad: ' +
              b'a' * 20000)
proxy_request(b'GET http://registry.test:' + PORT.encode() + b'/ HTTP/1.1\r\n' +
              b'X-Pad: a\r\n' * 3000 + b'\r\n')
good()
)");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out,
            "HTTP/1.1 431 Request Header Fields Too Large\n"
            "HTTP/1.1 431 Request Header Fields Too Large\n"
            "served\n")
      << r;
}

// Malformed CONNECT lines and garbage get 400; ClientHellos cut short or lying about their
// lengths (through CONNECT, and on a transparent connection to port 443) are refused with the
// connection closed; the proxy survives all of them and serves the good request after.
TEST_F(EgressBoundsTest, MalformedRequestsAndClientHellosAreRefusedAndTheProxySurvives) {
  HostServer origin("served\n");
  RunResult r = RunScript(origin, R"(
for line in [b'CONNECT registry.test HTTP/1.1\r\n\r\n',
             b'CONNECT [::1 HTTP/1.1\r\n\r\n',
             b'CONNECT registry.test:99999 HTTP/1.1\r\n\r\n',
             b'CONNECT registry.test:443 HTTP/9.9\r\n\r\n',
             b'CONNECT  registry.test:443 HTTP/1.1\r\n\r\n',
             b'\x00\xff\xfe\x16\x03\x01garbage\r\n\r\n',
             b'GET http://registry.test:' + PORT.encode() + b'/ HTTP/1.1\r\n folded\r\n\r\n']:
    proxy_request(line)
def hello(record_length, body_length, sent):
    # A TLS handshake record holding a ClientHello whose fields claim the lengths given.
    body = b'\x03\x03' + b'r' * 32 + b'\x00' + b'\x00\x02\x13\x01' + b'\x01\x00'
    body += b'\x00' * max(0, sent - len(body))
    handshake = b'\x01' + body_length.to_bytes(3, 'big') + body
    record = b'\x16\x03\x01' + record_length.to_bytes(2, 'big') + handshake
    return record[:sent]
hellos = [hello(512, 508, 100),    # cut short: the record claims more than is sent
          hello(60, 0xffffff, 65), # the handshake claims more than its record holds
          hello(0, 0, 5),          # an empty record
          hello(0x7fff, 10, 40)]   # a record longer than TLS allows
def until_closed(s):
    # What the proxy sends before it closes the connection (b'' if nothing), or None if it
    # keeps it open.
    s.settimeout(15)
    data = b''
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk: return data
            data += chunk
    except ConnectionResetError:
        return data
    except socket.timeout:
        return None
for h in hellos:
    s = socket.create_connection(('127.0.0.1', 3128))
    s.sendall(b'CONNECT registry.test:443 HTTP/1.1\r\n\r\n' + h)
    s.shutdown(socket.SHUT_WR)
    data = until_closed(s)
    print('open' if data is None else data.split(b'\r\n')[0].decode() + ' -> closed', flush=True)
    s.close()
for h in hellos:
    s = socket.create_connection(('registry.test', 443))
    s.sendall(h)
    s.shutdown(socket.SHUT_WR)
    print('transparent ->', reply_of(s), flush=True)
    s.close()
good()
)");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out,
            "HTTP/1.1 400 Bad Request\n"
            "HTTP/1.1 400 Bad Request\n"
            "HTTP/1.1 400 Bad Request\n"
            "HTTP/1.1 400 Bad Request\n"
            "HTTP/1.1 400 Bad Request\n"
            "HTTP/1.1 400 Bad Request\n"
            "HTTP/1.1 400 Bad Request\n"
            "HTTP/1.1 200 Connection established -> closed\n"
            "HTTP/1.1 200 Connection established -> closed\n"
            "HTTP/1.1 200 Connection established -> closed\n"
            "HTTP/1.1 200 Connection established -> closed\n"
            "transparent -> closed\n"
            "transparent -> closed\n"
            "transparent -> closed\n"
            "transparent -> closed\n"
            "served\n")
      << r;
  EXPECT_NE(r.err.find("sandbox: network denied registry.test:443 x"), std::string::npos) << r;
}

// A client sending its head a byte a second is cut at the 10 s head deadline (each byte used
// to restart the timeout: such a client held its descriptor for ever), and meanwhile another
// client is served.
TEST_F(EgressBoundsTest, ASlowClientIsCutAtTheHeadDeadlineAndOthersAreServed) {
  HostServer origin("served\n");
  RunResult r = RunScript(origin, R"(
s = socket.create_connection(('127.0.0.1', 3128))
head = b'GET http://registry.test:' + PORT.encode() + b'/ HTTP/1.1\r\nX-Slow: ' + b'a' * 40
start = time.monotonic()
cut = None
for i, byte in enumerate(head[:25]):
    try:
        s.send(bytes([byte]))
    except (BrokenPipeError, ConnectionResetError):
        cut = time.monotonic() - start
        break
    if i == 2:
        good()
    ready, _, _ = select.select([s], [], [], 1)
    if ready:
        try:
            data = s.recv(100)
        except ConnectionResetError:
            data = b''
        if not data:
            cut = time.monotonic() - start
            break
print('cut' if cut is not None else 'never cut', flush=True)
)");
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "served\ncut\n") << r;
}

// Beyond 2048 connections at once the proxy closes new ones at once; the 2048 it holds are
// unharmed: a request on one of them is still served.
TEST_F(EgressBoundsTest, ConnectionsBeyondTheLimitAreClosedAndTheOthersServed) {
  HostServer origin("served\n");
  RunResult r = RunScript(origin, R"(
held = [socket.create_connection(('127.0.0.1', 3128)) for _ in range(2048)]
extra = socket.create_connection(('127.0.0.1', 3128))
print('extra:', reply_of(extra, wait=5), flush=True)
# The last one held: each has 10 s from its accept to send its head.
first = held[-1]
first.sendall(b'GET http://registry.test:' + PORT.encode() + b'/ HTTP/1.1\r\nHost: registry.test:' +
              PORT.encode() + b'\r\n\r\n')
first.settimeout(15)
data = b''
while True:
    chunk = first.recv(4096)
    if not chunk: break
    data += chunk
print('first:', data.split(b'\r\n')[0].decode(), data.split(b'\r\n\r\n', 1)[-1].decode().strip(),
      flush=True)
)",
                          {"--limit", "nofile=4096"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "extra: closed\nfirst: HTTP/1.0 200 OK served\n") << r;
}

// Reads from `fd` until EOF (true) or `seconds` pass without it (false).
bool ClosedWithin(int fd, int seconds) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd ready = {fd, POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
  }
  return false;
}

// The relay's idle timeout, on the proxy program alone: the test plays the supervisor (the
// control socket on descriptor 3, the listener handed over as a kSocket record) and runs it
// with its test-only --idle-timeout of 2 s (300 s in a sandbox). A CONNECT tunnel to an
// origin that never sends, with a client that sends nothing after one byte, is closed.
TEST_F(EgressBoundsTest, AnIdleRelayIsClosed) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  uint16_t proxy_port = 0;
  uint16_t origin_port = 0;
  int listener = ListenOnLoopback(&proxy_port, 16);
  int origin = ListenOnLoopback(&origin_port, 16);
  // The claim pipe (launch/egress_link.cc): its byte lets the proxy serve.
  int claim[2];
  ASSERT_EQ(::pipe2(claim, O_NONBLOCK | O_CLOEXEC), 0);
  ASSERT_EQ(::write(claim[1], "c", 1), 1);
  ::close(claim[1]);
  SpawnOptions options = DefaultOptions();
  options.inherit_fds = {{3, pair[1]}, {4, claim[0]}};
  Process proxy(AsRunUser({BinDir() + "/sandbox-egress-proxy", "--allow",
                           "127.0.0.1:" + std::to_string(origin_port), "--idle-timeout", "2"}),
                options);
  ::close(pair[1]);
  ::close(claim[0]);

  egress::ControlMessage message;
  message.kind = egress::ControlKind::kSocket;
  message.socket = egress::SocketRole::kProxyV4;
  char control[CMSG_SPACE(sizeof(int))] = {};
  iovec iov = {&message, sizeof(message)};
  msghdr header = {};
  header.msg_iov = &iov;
  header.msg_iovlen = 1;
  header.msg_control = control;
  header.msg_controllen = sizeof(control);
  cmsghdr* c = CMSG_FIRSTHDR(&header);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &listener, sizeof(int));
  ASSERT_EQ(::sendmsg(pair[0], &header, MSG_NOSIGNAL), static_cast<ssize_t>(sizeof(message)));

  int client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(proxy_port);
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0)
      << std::strerror(errno);
  std::string connect = "CONNECT 127.0.0.1:" + std::to_string(origin_port) + " HTTP/1.1\r\n\r\nx";
  ASSERT_EQ(::send(client, connect.data(), connect.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(connect.size()));
  // The tunnel is up once the origin has the byte sent after the CONNECT.
  pollfd accepting = {origin, POLLIN, 0};
  ASSERT_EQ(::poll(&accepting, 1, 10000), 1) << "the proxy never connected to the origin";
  int upstream = ::accept4(origin, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(upstream, 0);
  char byte = 0;
  timeval timeout = {10, 0};
  ::setsockopt(upstream, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  EXPECT_EQ(::recv(upstream, &byte, 1, 0), 1);
  EXPECT_EQ(byte, 'x');

  // Idle both ways from here: closed after 2 s (checked every second), on both sides.
  EXPECT_TRUE(ClosedWithin(client, 20)) << "the idle relay was not closed";
  EXPECT_TRUE(ClosedWithin(upstream, 5)) << "the origin's side was not closed";

  // Still answering its supervisor: the counts, then kDone. (Its exit status is not looked
  // at, as the supervisor does not: a sanitizer build's leak check may fail it.)
  egress::ControlMessage finish;
  finish.kind = egress::ControlKind::kFinish;
  ASSERT_EQ(::send(pair[0], &finish, sizeof(finish), MSG_NOSIGNAL),
            static_cast<ssize_t>(sizeof(finish)));
  bool done = false;
  for (int i = 0; i < 100 && !done; ++i) {
    pollfd ready = {pair[0], POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) continue;
    egress::ControlMessage reply;
    if (::recv(pair[0], &reply, sizeof(reply), 0) != static_cast<ssize_t>(sizeof(reply))) break;
    done = reply.kind == egress::ControlKind::kDone;
  }
  EXPECT_TRUE(done) << proxy.Finish();
  for (int fd : {client, upstream, origin, listener, pair[0]}) ::close(fd);
}

}  // namespace
}  // namespace sandbox::testing

#include "egress/connection.h"

#include <event2/event.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "egress/http_head.h"
#include "egress/resolver.h"
#include "egress/sni.h"

namespace sandbox::egress {
namespace {

constexpr size_t kMaxTlsHead = 16384 + 5 + 256;  // one TLS record holding the ClientHello
// Why a copy through the proxy's memory and not splice(2) through a pipe (which never copies):
// measured on a 2-vCPU VM (docs/performance.md, "Issue 17, fifth pass"), a relay that reads
// what has arrived into a multi-MiB buffer and writes it out moved a loopback download 15-30 %
// faster than splice in every paired run: a pipe holds at most 1 MiB (pipe-max-size,
// unprivileged), so each wake-up moved less, and every spliced page's reference count is
// shared by the server, the proxy and the client on different CPUs.
// Why one bulk buffer held by one direction at a time (sixth pass): reading everything waiting,
// not just what the other side can take at once, moved a download 14 % faster again (median of
// 30 paired runs; fewer, larger reads from the server's side); what the other side does not
// take waits in the buffer, where it was read, so the proxy's memory stays one bulk buffer and
// one step buffer however many connections it relays. The other directions meanwhile read no
// more than their other side can take (SendRoom), into the step buffer, and send it at once.
constexpr size_t kFallbackStep = 64 * 1024;
constexpr int kRoundsPerEvent = 16;  // then other connections get their turn

void CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

void FreeEvent(event** e) {
  if (*e != nullptr) event_free(*e);
  *e = nullptr;
}

// A name from a request (a host or an address), canonical; "" if it is neither.
std::string CanonicalHost(const std::string& host) {
  std::string address = CanonicalAddress(host);
  return address.empty() ? CanonicalName(host) : address;
}

// How many bytes `socket` takes now: its send buffer less the bytes it holds (sent and not
// yet acknowledged, or not yet sent), at most the relay buffer; 0 when full.
size_t SendRoom(int socket) {
  int buffer = 0;
  socklen_t size = sizeof(buffer);
  int queued = 0;
  if (::getsockopt(socket, SOL_SOCKET, SO_SNDBUF, &buffer, &size) != 0 ||
      ::ioctl(socket, SIOCOUTQ, &queued) != 0) {
    return kFallbackStep;  // not a TCP socket's answer: a step the kernel takes or refuses
  }
  if (queued >= buffer) return 0;
  return std::min(static_cast<size_t>(buffer - queued), Proxy::kRelayBufferSize);
}

}  // namespace

Connection::Connection(Proxy* proxy, int client,
                       std::optional<std::pair<std::string, uint16_t>> route)
    : proxy_(proxy), client_(client), route_(std::move(route)) {}

Connection::~Connection() {
  if (lookup_ != 0) proxy_->resolver().Cancel(lookup_);
  if (counters_ != nullptr) {
    counters_->bytes_sent += up_.moved;
    counters_->bytes_received += down_.moved;
  }
  FreeEvent(&head_event_);
  FreeEvent(&head_deadline_);
  FreeEvent(&idle_event_);
  FreeEvent(&connect_event_);
  for (Pump* p : {&up_, &down_}) {
    FreeEvent(&p->readable);
    FreeEvent(&p->writable);
    proxy_->ReleaseBulkBuffer(p);
  }
  CloseFd(&upstream_);
  CloseFd(&client_);
}

void Connection::Start() {
  if (route_ && route_->second != 443 && route_->second != 80) {
    // Other ports: the name and port were checked when the job connected; the bytes are not
    // looked at (a server-first protocol such as ssh sends nothing first). docs/network.md.
    Connect(route_->first, route_->second);
    return;
  }
  head_event_ =
      event_new(proxy_->base(), client_, EV_READ | EV_PERSIST, &Connection::OnClientHead, this);
  event_add(head_event_, nullptr);
  // A deadline of its own: a persistent read event's timeout restarts whenever the event
  // fires, so a client trickling its head a byte at a time would never be cut.
  head_deadline_ = evtimer_new(proxy_->base(), &Connection::OnHeadDeadline, this);
  timeval timeout = {kHeadTimeoutSeconds, 0};
  evtimer_add(head_deadline_, &timeout);
}

void Connection::OnClientHead(int, short, void* arg) { static_cast<Connection*>(arg)->ReadHead(); }

void Connection::OnHeadDeadline(int, short, void* arg) {
  // A slow or silent client: it holds one descriptor for at most the head timeout.
  static_cast<Connection*>(arg)->Finish();
}

void Connection::OnIdleCheck(int, short, void* arg) {
  auto* self = static_cast<Connection*>(arg);
  // Bytes written out plus bytes read in (moved + waiting is what was read), both ways: it
  // changes whenever either side makes progress.
  uint64_t moved = 0;
  for (const Pump* p : {&self->up_, &self->down_}) moved += 2 * p->moved + Waiting(*p).size();
  if (moved != self->moved_at_check_) {
    self->moved_at_check_ = moved;
    self->idle_checks_ = 0;
    return;
  }
  // Nothing moved either way for the whole timeout: a connection left open by a job that
  // forgot it, or one held to tie up the proxy's descriptors.
  if (++self->idle_checks_ >= self->idle_checks_needed_) self->Finish();
}

void Connection::ReadHead() {
  size_t limit = std::max(kMaxHttpHead, kMaxTlsHead) + tunnel_start_;
  if (head_.size() >= limit) {
    Refuse(route_ ? route_->first : name_, route_ ? route_->second : port_, "request too large",
           state_ == State::kHead ? "431 Request Header Fields Too Large" : nullptr);
    return;
  }
  char buffer[4096];
  size_t room = std::min(sizeof(buffer), limit - head_.size());
  ssize_t n = ::recv(client_, buffer, room, MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    Finish();
    return;
  }
  head_.append(buffer, static_cast<size_t>(n));
  if (state_ == State::kTunnelHead) {
    CheckTunnelHead();
  } else if (route_) {
    DecideTransparent();
  } else {
    DecideExplicit();
  }
}

void Connection::DecideTransparent() {
  const auto& [name, port] = *route_;
  bool literal = !CanonicalAddress(name).empty();
  if (port == 443) {
    SniResult sni = ParseClientHello(head_);
    if (sni.status == SniResult::Status::kNeedMore) return;
    if (sni.status == SniResult::Status::kFound && sni.name == name) {
      Connect(name, port);
    } else if (sni.status == SniResult::Status::kNoName && literal) {
      Connect(name, port);  // an address allowed as such: clients send no name for it
    } else {
      Refuse(name, port,
             sni.status == SniResult::Status::kFound    ? "TLS server name differs"
             : sni.status == SniResult::Status::kNotTls ? "not TLS"
                                                        : "no TLS server name",
             nullptr);
    }
    return;
  }
  HttpHead head = ParseHttpHead(head_);
  if (head.status == HttpHead::Status::kNeedMore) return;
  bool host_matches =
      head.status == HttpHead::Status::kComplete && !head.host_headers_differ &&
      head.host_header == name && (head.host_header_port == 0 || head.host_header_port == port) &&
      (!head.absolute || CanonicalHost(head.host) == name) && head.method != "CONNECT";
  if (host_matches) {
    Connect(name, port);
  } else {
    Refuse(name, port,
           head.status == HttpHead::Status::kComplete ? "HTTP Host differs" : "not HTTP",
           "400 Bad Request");
  }
}

void Connection::DecideExplicit() {
  HttpHead head = ParseHttpHead(head_);
  switch (head.status) {
    case HttpHead::Status::kNeedMore:
      return;
    case HttpHead::Status::kTooLarge:
      Refuse("", 0, "request too large", "431 Request Header Fields Too Large");
      return;
    case HttpHead::Status::kNotHttp:
    case HttpHead::Status::kMalformed:
      Refuse("", 0, "malformed request", "400 Bad Request");
      return;
    case HttpHead::Status::kComplete:
      break;
  }
  if (head.method != "CONNECT" && !head.absolute) {
    Refuse("", 0, "not a proxy request", "400 Bad Request");
    return;
  }
  name_ = CanonicalHost(head.host);
  port_ = head.port;
  if (name_.empty()) {
    Refuse("", 0, "malformed request", "400 Bad Request");
    return;
  }
  if (!proxy_->Allowed(name_, port_)) {
    Refuse(name_, port_, "not allowed", "403 Forbidden");
    return;
  }
  if (head.method == "CONNECT") {
    static constexpr char kEstablished[] = "HTTP/1.1 200 Connection established\r\n\r\n";
    if (::send(client_, kEstablished, sizeof(kEstablished) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) !=
        static_cast<ssize_t>(sizeof(kEstablished) - 1)) {
      Finish();
      return;
    }
    tunnel_start_ = head.head_size;
    state_ = State::kTunnelHead;
    if (port_ != 443) {
      head_.erase(0, tunnel_start_);
      Connect(name_, port_);
      return;
    }
    CheckTunnelHead();
    return;
  }
  // An absolute-URI request: the Host header, when there, must name the same host; the origin
  // gets the request line in origin form, and is asked to close after it (OriginHead).
  if (!head.host_header.empty() &&
      (head.host_headers_differ || CanonicalHost(head.host_header) != name_ ||
       (head.host_header_port != 0 && head.host_header_port != port_))) {
    Refuse(name_, port_, "HTTP Host differs", "400 Bad Request");
    return;
  }
  head_ = OriginHead(head_, head) + head_.substr(head.head_size);
  Connect(name_, port_);
}

void Connection::CheckTunnelHead() {
  std::string_view tunnel = std::string_view(head_).substr(tunnel_start_);
  SniResult sni = ParseClientHello(tunnel);
  if (sni.status == SniResult::Status::kNeedMore) return;
  bool literal = !CanonicalAddress(name_).empty();
  if ((sni.status == SniResult::Status::kFound && sni.name == name_) ||
      (sni.status == SniResult::Status::kNoName && literal)) {
    head_.erase(0, tunnel_start_);
    tunnel_start_ = 0;
    Connect(name_, port_);
    return;
  }
  Refuse(name_, port_,
         sni.status == SniResult::Status::kFound ? "TLS server name differs" : "not TLS", nullptr);
}

void Connection::Refuse(const std::string& name, uint16_t port, const char* why,
                        const char* status) {
  if (!name.empty()) {
    Proxy::Counters& counters = proxy_->Count(name, port, false);
    ++counters.refused;
    if (counters.why.empty()) counters.why = why;
  }
  if (status != nullptr && state_ == State::kHead) {
    std::string reply = std::string("HTTP/1.1 ") + status +
                        "\r\nContent-Length: 0\r\nConnection: close\r\nX-Sandbox-Refused: " + why +
                        "\r\n\r\n";
    (void)::send(client_, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  Finish();
}

void Connection::Connect(const std::string& name, uint16_t port) {
  name_ = name;
  port_ = port;
  state_ = State::kResolving;
  FreeEvent(&head_event_);
  FreeEvent(&head_deadline_);
  counters_ = &proxy_->Count(name, port, true);
  ++counters_->connections;
  lookup_ = proxy_->resolver().Resolve(name, port, [this](std::vector<sockaddr_storage> found) {
    lookup_ = 0;
    addresses_ = std::move(found);
    next_address_ = 0;
    TryNextAddress();
  });
}

void Connection::TryNextAddress() {
  state_ = State::kConnecting;
  FreeEvent(&connect_event_);
  CloseFd(&upstream_);
  while (next_address_ < addresses_.size()) {
    const sockaddr_storage& address = addresses_[next_address_++];
    socklen_t size = address.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    upstream_ = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (upstream_ < 0) continue;
    int rc = ::connect(upstream_, reinterpret_cast<const sockaddr*>(&address), size);
    if (rc == 0) {
      StartRelay();
      return;
    }
    if (errno == EINPROGRESS) {
      connect_event_ =
          event_new(proxy_->base(), upstream_, EV_WRITE, &Connection::OnConnected, this);
      timeval timeout = {kConnectTimeoutSeconds, 0};
      event_add(connect_event_, &timeout);
      return;
    }
    CloseFd(&upstream_);
  }
  // Nothing to connect to (not found, or every address refused): the job sees the connection
  // closed, as a proxy that cannot reach the origin closes it.
  Finish();
}

void Connection::OnConnected(int fd, short what, void* arg) {
  auto* self = static_cast<Connection*>(arg);
  int err = ETIMEDOUT;
  if ((what & EV_WRITE) != 0) {
    socklen_t size = sizeof(err);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &size) != 0) err = errno;
  }
  if (err != 0) {
    self->TryNextAddress();
    return;
  }
  self->StartRelay();
}

void Connection::StartRelay() {
  state_ = State::kRelay;
  FreeEvent(&connect_event_);
  up_.from = client_;
  up_.to = upstream_;
  up_.pending = std::move(head_);
  down_.from = upstream_;
  down_.to = client_;
  for (Pump* p : {&up_, &down_}) {
    p->readable =
        event_new(proxy_->base(), p->from, EV_READ | EV_PERSIST, &Connection::OnPump, this);
    p->writable =
        event_new(proxy_->base(), p->to, EV_WRITE | EV_PERSIST, &Connection::OnPump, this);
  }
  // The idle check runs every tenth of the timeout (at least a second): a connection idle
  // for the timeout is closed within a tenth of it more.
  int timeout = std::max(1, proxy_->config().idle_timeout_seconds);
  int period = std::max(1, timeout / 10);
  idle_checks_needed_ = (timeout + period - 1) / period;
  idle_event_ = event_new(proxy_->base(), -1, EV_PERSIST, &Connection::OnIdleCheck, this);
  timeval every = {period, 0};
  event_add(idle_event_, &every);
  Step(&up_);
  if (state_ == State::kRelay) Step(&down_);
}

void Connection::OnPump(int fd, short what, void* arg) {
  auto* self = static_cast<Connection*>(arg);
  Pump* pump = (what & EV_READ) != 0 ? (fd == self->client_ ? &self->up_ : &self->down_)
                                     : (fd == self->upstream_ ? &self->up_ : &self->down_);
  self->Step(pump);
}

std::string_view Connection::Waiting(const Pump& p) {
  return p.held.empty() ? std::string_view(p.pending) : p.held;
}

void Connection::Consume(Pump* p, size_t n) {
  if (p->held.empty()) {
    p->pending.erase(0, n);
    return;
  }
  p->held.remove_prefix(n);
  if (p->held.empty()) proxy_->ReleaseBulkBuffer(p);
}

void Connection::Step(Pump* p) {
  if (p->done) return;
  event_del(p->readable);
  event_del(p->writable);
  for (int round = 0;; ++round) {
    std::string_view waiting = Waiting(*p);
    if (!waiting.empty()) {
      ssize_t n = ::send(p->to, waiting.data(), waiting.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          event_add(p->writable, nullptr);
          return;
        }
        Finish();
        return;
      }
      p->moved += static_cast<uint64_t>(n);
      Consume(p, static_cast<size_t>(n));
      continue;
    }
    if (p->eof) {
      ::shutdown(p->to, SHUT_WR);
      p->done = true;
      if (up_.done && down_.done) Finish();
      return;
    }
    if (round >= kRoundsPerEvent) {
      event_add(p->readable, nullptr);  // level-triggered: comes back at once if more is there
      return;
    }
    size_t room = SendRoom(p->to);
    if (room == 0) {
      event_add(p->writable, nullptr);
      return;
    }
    char* buffer = proxy_->free_bulk_buffer();
    bool bulk = buffer != nullptr;
    size_t size = Proxy::kRelayBufferSize;
    if (!bulk) {
      buffer = proxy_->step_buffer();
      size = std::min(room, Proxy::kRelayStepSize);
    }
    ssize_t n = ::recv(p->from, buffer, size, MSG_DONTWAIT);
    if (n == 0) {
      p->eof = true;
      continue;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) {
        event_add(p->readable, nullptr);
        return;
      }
      Finish();  // a reset: both sides go
      return;
    }
    ssize_t sent = ::send(p->to, buffer, static_cast<size_t>(n), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      if (errno != EAGAIN && errno != EINTR) {
        Finish();
        return;
      }
      sent = 0;
    }
    p->moved += static_cast<uint64_t>(sent);
    if (sent == n) continue;
    if (bulk) {
      proxy_->HoldBulkBuffer(p);  // the rest waits where it was read
      p->held = std::string_view(buffer + sent, static_cast<size_t>(n - sent));
    } else {
      // The estimate of `to`'s room counts payload, the kernel its buffers' overhead too: the
      // few bytes it did not take wait here.
      p->pending.assign(buffer + sent, static_cast<size_t>(n - sent));
    }
  }
}

void Connection::Finish() {
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  proxy_->Close(this);
}

}  // namespace sandbox::egress

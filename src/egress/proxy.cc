#include "egress/proxy.h"

#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/record.h"
#include "egress/connection.h"
#include "egress/dns_answer.h"
#include "egress/resolver.h"

namespace sandbox::egress {
namespace {

// At most this many connections at once; beyond, new ones are closed at once (the job sees a
// reset) so a flood of half-open connections cannot exhaust the proxy's descriptors.
constexpr size_t kMaxConnections = 2048;
constexpr int kAcceptsPerEvent = 64;
// DNS-over-TCP clients at once; beyond, new ones are closed at once (glibc opens one only
// after a truncated answer, which the resolver's short answers never are).
constexpr int kMaxDnsStreams = 64;
constexpr int kDatagramsPerEvent = 32;

int64_t NowUnixMs() {
  timeval now;
  ::gettimeofday(&now, nullptr);
  return int64_t{now.tv_sec} * 1000 + now.tv_usec / 1000;
}

void CopyName(const std::string& name, char* out, size_t size) {
  size_t n = std::min(name.size(), size - 1);
  std::memcpy(out, name.data(), n);
  out[n] = '\0';
}

// One DNS-over-TCP client of the resolver (glibc retries over TCP after a truncated answer):
// length-prefixed queries in, answers out, closed at the first error or kHeadTimeoutSeconds
// after the accept (a deadline, not reset by each byte: a client trickling bytes is cut too).
class DnsStream {
 public:
  DnsStream(Proxy* proxy, int fd, const NameDecision* decide, int* count)
      : fd_(fd), decide_(decide), count_(count) {
    ++*count_;
    event_ = event_new(proxy->base(), fd, EV_READ | EV_PERSIST, &DnsStream::OnRead, this);
    event_add(event_, nullptr);
    deadline_ = evtimer_new(
        proxy->base(), [](int, short, void* self) { delete static_cast<DnsStream*>(self); }, this);
    timeval timeout = {Connection::kHeadTimeoutSeconds, 0};
    evtimer_add(deadline_, &timeout);
  }
  ~DnsStream() {
    --*count_;
    event_free(deadline_);
    event_free(event_);
    ::close(fd_);
  }

 private:
  static void OnRead(int fd, short what, void* arg) {
    auto* self = static_cast<DnsStream*>(arg);
    char buffer[2048];
    ssize_t n = (what & EV_READ) != 0 ? ::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT) : 0;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0 || self->buffer_.size() + static_cast<size_t>(n) > 4096) {
      delete self;
      return;
    }
    self->buffer_.append(buffer, static_cast<size_t>(n));
    while (self->buffer_.size() >= 2) {
      size_t length =
          (static_cast<uint8_t>(self->buffer_[0]) << 8) | static_cast<uint8_t>(self->buffer_[1]);
      if (self->buffer_.size() < 2 + length) break;
      std::vector<uint8_t> reply = AnswerQuery(
          reinterpret_cast<const uint8_t*>(self->buffer_.data() + 2), length, *self->decide_);
      self->buffer_.erase(0, 2 + length);
      if (reply.empty()) continue;
      uint8_t prefix[2] = {static_cast<uint8_t>(reply.size() >> 8),
                           static_cast<uint8_t>(reply.size() & 0xff)};
      reply.insert(reply.begin(), prefix, prefix + 2);
      (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
  }

  int fd_;
  const NameDecision* decide_;
  int* count_;
  event* event_;
  event* deadline_;
  std::string buffer_;
};

}  // namespace

Proxy::Proxy(ProxyConfig config, int control, int claim)
    : config_(std::move(config)), control_(control), claim_(claim) {
  for (const std::string& name : config_.numbered) index_of_name_.emplace(name, next_index_++);
}

char* Proxy::free_bulk_buffer() {
  if (bulk_holder_ != nullptr) return nullptr;
  // Not zeroed (make_unique_for_overwrite): untouched pages cost no memory.
  if (!bulk_buffer_) bulk_buffer_ = std::make_unique_for_overwrite<char[]>(kRelayBufferSize);
  return bulk_buffer_.get();
}

void Proxy::ReleaseBulkBuffer(const void* holder) {
  if (bulk_holder_ == holder) bulk_holder_ = nullptr;
}

char* Proxy::step_buffer() {
  if (!step_buffer_) step_buffer_ = std::make_unique_for_overwrite<char[]>(kRelayStepSize);
  return step_buffer_.get();
}

Proxy::~Proxy() {
  connections_.clear();
  closed_.clear();
  for (event* e : socket_events_) event_free(e);
  for (int fd : sockets_) ::close(fd);
  if (reap_event_ != nullptr) event_free(reap_event_);
  if (control_event_ != nullptr) event_free(control_event_);
  resolver_.reset();
  if (base_ != nullptr) event_base_free(base_);
  if (spare_fd_ >= 0) ::close(spare_fd_);
  if (claim_ >= 0) ::close(claim_);
  ::close(control_);
}

bool Proxy::Init() {
  spare_fd_ = ::fcntl(control_, F_DUPFD_CLOEXEC, 0);
  event_config* cfg = event_config_new();
  if (cfg == nullptr) return false;
  // One thread, no locks; epoll only (the seccomp filter allows nothing else).
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  // A relay step removes and re-adds its events (connection.cc): with the change list, what
  // ends up as it was costs no epoll_ctl at all.
  event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
  event_config_avoid_method(cfg, "select");
  event_config_avoid_method(cfg, "poll");
  base_ = event_base_new_with_config(cfg);
  event_config_free(cfg);
  if (base_ == nullptr) return false;
  resolver_ = std::make_unique<HostResolver>(base_, config_.resolve);
  if (!resolver_->Init()) return false;
  control_event_ = event_new(base_, control_, EV_READ | EV_PERSIST, &Proxy::OnControl, this);
  reap_event_ = event_new(
      base_, -1, 0, [](int, short, void* self) { static_cast<Proxy*>(self)->closed_.clear(); },
      this);
  return control_event_ != nullptr && reap_event_ != nullptr &&
         event_add(control_event_, nullptr) == 0;
}

int Proxy::Run() {
  event_base_dispatch(base_);
  return status_;
}

bool Proxy::Claim() {
  if (claimed_) return true;
  if (claim_ < 0) return false;
  // The pipe is non-blocking and its write end closed once the byte was in: this read takes
  // the byte or finds the pipe empty (0), never waits. Whoever reads the byte owns the run's
  // end: the supervisor then kills this process without asking for counts, so nothing may be
  // served after losing it.
  char byte;
  ssize_t n;
  do {
    n = ::read(claim_, &byte, 1);
  } while (n < 0 && errno == EINTR);
  ::close(claim_);
  claim_ = -1;
  claimed_ = n == 1;
  if (!claimed_) event_base_loopbreak(base_);
  return claimed_;
}

bool Proxy::Allowed(const std::string& name, uint16_t port) const {
  return config_.log_only || egress::Allowed(config_.allow, name, port);
}

Proxy::Counters& Proxy::Count(const std::string& name, uint16_t port, bool allowed) {
  auto [it, inserted] = destinations_.try_emplace({name, port});
  if (inserted) it->second.first_unix_ms = NowUnixMs();
  it->second.allowed = it->second.allowed || allowed;
  return it->second;
}

void Proxy::Close(Connection* connection) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) return;
  closed_.push_back(std::move(it->second));
  connections_.erase(it);
  event_active(reap_event_, 0, 0);
}

std::optional<std::pair<std::string, uint16_t>> Proxy::TakeRoute(bool v6, uint16_t port) {
  auto it = routes_.find({v6, port});
  if (it == routes_.end()) {
    // The supervisor registers a route before it connects the job's socket, so the record
    // is queued already if there is one.
    ReadControl();
    it = routes_.find({v6, port});
    if (it == routes_.end()) return std::nullopt;
  }
  auto route = std::move(it->second);
  routes_.erase(it);
  return route;
}

std::optional<uint32_t> Proxy::DecideName(const std::string& name) {
  bool allowed = config_.log_only || NameAllowed(config_.allow, name);
  if (!allowed) {
    Counters& counters = Count(name, 0, false);
    ++counters.refused;
    if (counters.why.empty()) counters.why = "name lookup";
    return std::nullopt;
  }
  auto known = index_of_name_.find(name);
  if (known != index_of_name_.end()) return known->second;
  if (next_index_ >= kSyntheticV4Count) return std::nullopt;  // 131070 names: enough
  uint32_t index = next_index_++;
  index_of_name_[name] = index;
  // Told before the answer leaves, so the supervisor knows the address before any connect.
  ControlMessage message;
  message.kind = ControlKind::kName;
  message.index = index;
  CopyName(name, message.name, sizeof(message.name));
  Send(message);
  return index;
}

void Proxy::Send(const ControlMessage& message) {
  (void)::send(control_, &message, sizeof(message), MSG_NOSIGNAL);
}

void Proxy::OnControl(int, short, void* self) { static_cast<Proxy*>(self)->ReadControl(); }

void Proxy::ReadControl() {
  for (;;) {
    ControlMessage message;
    int passed = -1;
    long n = ReceiveWithFd(control_, &message, sizeof(message), &passed);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
      // The supervisor is gone: nobody to report to.
      if (passed >= 0) ::close(passed);
      status_ = 1;
      event_base_loopbreak(base_);
      return;
    }
    if (n != static_cast<ssize_t>(sizeof(message))) {
      if (passed >= 0) ::close(passed);
      continue;
    }
    message.name[sizeof(message.name) - 1] = '\0';
    switch (message.kind) {
      case ControlKind::kSocket:
        if (passed >= 0) AddSocket(message.socket, passed);
        passed = -1;
        break;
      case ControlKind::kRoute:
        routes_[{message.peer_v6 != 0, message.peer_port}] = {message.name, message.port};
        break;
      case ControlKind::kFinish:
        Finish();
        break;
      default:
        break;
    }
    if (passed >= 0) ::close(passed);
    if (finished_) return;
  }
}

void Proxy::AddSocket(SocketRole role, int fd) {
  // Every handler reads or accepts until EAGAIN: a blocking socket would stop the loop.
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    ::close(fd);
    return;
  }
  event_callback_fn callback = role == SocketRole::kDnsUdp   ? &Proxy::OnDnsUdp
                               : role == SocketRole::kDnsTcp ? &Proxy::OnDnsTcpAccept
                                                             : &Proxy::OnAccept;
  event* e = event_new(base_, fd, EV_READ | EV_PERSIST, callback, this);
  if (e == nullptr || event_add(e, nullptr) != 0) {
    ::close(fd);
    return;
  }
  sockets_.push_back(fd);
  socket_events_.push_back(e);
}

void Proxy::OnAccept(int fd, short, void* arg) {
  auto* self = static_cast<Proxy*>(arg);
  if (!self->Claim()) return;
  for (int i = 0; i < kAcceptsPerEvent; ++i) {
    sockaddr_storage peer = {};
    socklen_t size = sizeof(peer);
    int client =
        ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &size, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) {
      if ((errno == EMFILE || errno == ENFILE) && self->ShedOne(fd)) continue;
      return;  // EAGAIN
    }
    if (self->connections_.size() >= kMaxConnections || self->finished_) {
      ::close(client);
      continue;
    }
    bool v6 = peer.ss_family == AF_INET6;
    uint16_t port = v6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&peer)->sin6_port)
                       : ntohs(reinterpret_cast<sockaddr_in*>(&peer)->sin_port);
    auto connection = std::make_unique<Connection>(self, client, self->TakeRoute(v6, port));
    Connection* raw = connection.get();
    self->connections_[raw] = std::move(connection);
    raw->Start();
  }
}

bool Proxy::ShedOne(int listener) {
  // Out of descriptors: the waiting connection would wake the (level-triggered) listener
  // again and again. The spare descriptor makes room to take it and close it: the job sees
  // a reset, as beyond kMaxConnections.
  if (spare_fd_ < 0) return false;
  ::close(spare_fd_);
  int shed = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (shed >= 0) ::close(shed);
  spare_fd_ = ::fcntl(control_, F_DUPFD_CLOEXEC, 0);
  return shed >= 0;
}

void Proxy::OnDnsUdp(int fd, short, void* arg) {
  auto* self = static_cast<Proxy*>(arg);
  if (!self->Claim()) return;
  NameDecision decide = [self](const std::string& name) { return self->DecideName(name); };
  for (int i = 0; i < kDatagramsPerEvent; ++i) {
    uint8_t query[4096];
    sockaddr_storage peer = {};
    socklen_t size = sizeof(peer);
    ssize_t n = ::recvfrom(fd, query, sizeof(query), MSG_DONTWAIT,
                           reinterpret_cast<sockaddr*>(&peer), &size);
    if (n < 0) return;
    std::vector<uint8_t> reply = AnswerQuery(query, static_cast<size_t>(n), decide);
    if (reply.empty()) continue;
    (void)::sendto(fd, reply.data(), reply.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&peer),
                   size);
  }
}

void Proxy::OnDnsTcpAccept(int fd, short, void* arg) {
  auto* self = static_cast<Proxy*>(arg);
  if (!self->Claim()) return;
  static NameDecision decide;
  decide = [self](const std::string& name) { return self->DecideName(name); };
  for (int i = 0; i < kAcceptsPerEvent; ++i) {
    int client = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) {
      if ((errno == EMFILE || errno == ENFILE) && self->ShedOne(fd)) continue;
      return;
    }
    if (self->dns_streams_ >= kMaxDnsStreams || self->finished_) {
      ::close(client);
      continue;
    }
    // Frees itself at EOF, an error or the deadline.
    new DnsStream(self, client, &decide, &self->dns_streams_);
  }
}

void Proxy::Finish() {
  finished_ = true;
  // Open connections add what they moved so far as they go.
  connections_.clear();
  closed_.clear();
  for (const auto& [destination, counters] : destinations_) {
    ControlMessage message;
    message.kind = ControlKind::kStats;
    CopyName(destination.first, message.name, sizeof(message.name));
    message.port = destination.second;
    message.allowed = counters.allowed ? 1 : 0;
    message.connections = counters.connections;
    message.refused = counters.refused;
    // Connections still open count what they moved so far.
    message.bytes_sent = counters.bytes_sent;
    message.bytes_received = counters.bytes_received;
    message.first_unix_ms = counters.first_unix_ms;
    CopyName(counters.why, message.why, sizeof(message.why));
    Send(message);
  }
  ControlMessage done;
  done.kind = ControlKind::kDone;
  Send(done);
  event_base_loopbreak(base_);
}

}  // namespace sandbox::egress

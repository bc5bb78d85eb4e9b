#include "egress/resolver.h"

#include <ares.h>
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>

#include <cstring>

namespace sandbox::egress {
namespace {

// sockaddr for `text` (a canonical address) at `port`; false if it is none.
bool AddressOf(const std::string& text, uint16_t port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  auto* v4 = reinterpret_cast<sockaddr_in*>(out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(out);
  if (::inet_pton(AF_INET, text.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    return true;
  }
  if (::inet_pton(AF_INET6, text.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    return true;
  }
  return false;
}

}  // namespace

HostResolver::HostResolver(event_base* base, std::vector<Pin> pins)
    : base_(base), pins_(std::move(pins)) {}

HostResolver::~HostResolver() {
  for (auto& [id, ready] : ready_) event_free(ready.first);
  for (auto& [fd, e] : socket_events_) event_free(e);
  if (timer_ != nullptr) event_free(timer_);
  if (channel_ != nullptr) ares_destroy(channel_);
}

bool HostResolver::Init() {
  if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) return false;
  ares_options options = {};
  options.sock_state_cb = &HostResolver::OnSocketState;
  options.sock_state_cb_data = this;
  // DNS only: the proxy cannot read /etc/hosts once confined; --resolve pins take its place.
  char lookups[] = "b";
  options.lookups = lookups;
  if (ares_init_options(&channel_, &options, ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS) !=
      ARES_SUCCESS) {
    channel_ = nullptr;
    return false;
  }
  timer_ = evtimer_new(base_, &HostResolver::OnTimer, this);
  return timer_ != nullptr;
}

uint64_t HostResolver::Resolve(const std::string& name, uint16_t port, Done done) {
  uint64_t id = next_id_++;
  std::vector<sockaddr_storage> pinned;
  sockaddr_storage address;
  if (AddressOf(name, port, &address)) pinned.push_back(address);
  for (const Pin& pin : pins_) {
    if (pin.host == name && AddressOf(pin.address, port, &address)) pinned.push_back(address);
  }
  waiting_[id] = std::move(done);
  if (!pinned.empty() || channel_ == nullptr) {
    event* e = event_new(base_, -1, 0, &HostResolver::OnPinned, new Lookup{this, id});
    ready_[id] = {e, std::move(pinned)};
    event_active(e, 0, 0);
    return id;
  }
  ares_addrinfo_hints hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  std::string service = std::to_string(port);
  ares_getaddrinfo(channel_, name.c_str(), service.c_str(), &hints, &HostResolver::OnAnswer,
                   new Lookup{this, id});
  Rearm();
  return id;
}

void HostResolver::Cancel(uint64_t id) { waiting_.erase(id); }

void HostResolver::OnPinned(int, short, void* arg) {
  auto* lookup = static_cast<Lookup*>(arg);
  HostResolver* self = lookup->self;
  uint64_t id = lookup->id;
  delete lookup;
  auto ready = self->ready_.find(id);
  if (ready == self->ready_.end()) return;
  std::vector<sockaddr_storage> addresses = std::move(ready->second.second);
  event_free(ready->second.first);
  self->ready_.erase(ready);
  auto waiting = self->waiting_.find(id);
  if (waiting == self->waiting_.end()) return;
  Done done = std::move(waiting->second);
  self->waiting_.erase(waiting);
  done(std::move(addresses));
}

void HostResolver::OnAnswer(void* arg, int status, int, struct ares_addrinfo* result) {
  auto* lookup = static_cast<Lookup*>(arg);
  HostResolver* self = lookup->self;
  uint64_t id = lookup->id;
  delete lookup;
  std::vector<sockaddr_storage> addresses;
  if (status == ARES_SUCCESS && result != nullptr) {
    for (ares_addrinfo_node* node = result->nodes; node != nullptr; node = node->ai_next) {
      if (node->ai_addrlen > sizeof(sockaddr_storage)) continue;
      sockaddr_storage address = {};
      std::memcpy(&address, node->ai_addr, node->ai_addrlen);
      addresses.push_back(address);
    }
  }
  if (result != nullptr) ares_freeaddrinfo(result);
  // ARES_EDESTRUCTION: the channel is going away with the proxy; nobody waits any more.
  if (status == ARES_EDESTRUCTION) return;
  auto waiting = self->waiting_.find(id);
  if (waiting == self->waiting_.end()) return;
  Done done = std::move(waiting->second);
  self->waiting_.erase(waiting);
  done(std::move(addresses));
}

void HostResolver::OnSocketState(void* arg, int fd, int readable, int writable) {
  auto* self = static_cast<HostResolver*>(arg);
  auto it = self->socket_events_.find(fd);
  if (it != self->socket_events_.end()) {
    event_free(it->second);
    self->socket_events_.erase(it);
  }
  if (!readable && !writable) return;
  short what =
      static_cast<short>(EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0));
  event* e = event_new(self->base_, fd, what, &HostResolver::OnSocket, self);
  event_add(e, nullptr);
  self->socket_events_[fd] = e;
}

void HostResolver::OnSocket(int fd, short what, void* arg) {
  auto* self = static_cast<HostResolver*>(arg);
  ares_process_fd(self->channel_, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
                  (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
  self->Rearm();
}

void HostResolver::OnTimer(int, short, void* arg) {
  auto* self = static_cast<HostResolver*>(arg);
  ares_process_fd(self->channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  self->Rearm();
}

void HostResolver::Rearm() {
  timeval max = {1, 0};
  timeval next;
  if (ares_timeout(channel_, &max, &next) != nullptr) evtimer_add(timer_, &next);
}

}  // namespace sandbox::egress

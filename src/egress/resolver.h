// The proxy's host-side name lookup: --resolve pins first, then c-ares on the host's
// resolv.conf (read once, before the proxy is confined), driven by the proxy's libevent loop.
#ifndef SANDBOX_EGRESS_RESOLVER_H_
#define SANDBOX_EGRESS_RESOLVER_H_

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "egress/rules.h"

struct event_base;
struct event;
struct ares_channeldata;
struct ares_addrinfo;

namespace sandbox::egress {

class HostResolver {
 public:
  /// The addresses to try, in order; empty: the name was not found.
  using Done = std::function<void(std::vector<sockaddr_storage>)>;

  HostResolver(event_base* base, std::vector<Pin> pins);
  ~HostResolver();
  HostResolver(const HostResolver&) = delete;
  HostResolver& operator=(const HostResolver&) = delete;

  /// Reads the host's resolver configuration; false if c-ares cannot start.
  bool Init();
  /// Looks `name` up for `port`; `done` runs later from the loop, never from inside this call.
  /// Returns an id for Cancel.
  uint64_t Resolve(const std::string& name, uint16_t port, Done done);
  /// `done` of lookup `id` will not run.
  void Cancel(uint64_t id);

 private:
  struct Lookup {
    HostResolver* self;
    uint64_t id;
  };
  static void OnSocketState(void* self, int fd, int readable, int writable);
  static void OnSocket(int fd, short what, void* self);
  static void OnTimer(int fd, short what, void* self);
  static void OnAnswer(void* lookup, int status, int timeouts, struct ares_addrinfo* result);
  static void OnPinned(int fd, short what, void* self);
  void Rearm();

  event_base* base_;
  std::vector<Pin> pins_;
  ares_channeldata* channel_ = nullptr;
  std::map<int, event*> socket_events_;
  event* timer_ = nullptr;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Done> waiting_;
  // Pinned and literal answers, delivered from the loop (a deferred event each).
  std::map<uint64_t, std::pair<event*, std::vector<sockaddr_storage>>> ready_;
};

}  // namespace sandbox::egress

#endif  // SANDBOX_EGRESS_RESOLVER_H_

// The egress proxy (docs/network.md): a process of its own, started by the supervisor, that
// holds the sockets the sandbox's pid 1 made in the job's network namespace (the resolver's,
// the proxy's listeners) and decides, for every name lookup and connection the job makes,
// whether it may leave: DNS answers for allowed names only, transparent connections the
// supervisor's socket fence routed here, and explicit ones (HTTP CONNECT, absolute-URI HTTP)
// from programs that honour HTTP(S)_PROXY; the TLS server name or HTTP Host must be the name
// allowed. Allowed connections are relayed through one buffer the proxy's connections share
// (connection.cc says why not splice). One libevent loop, one thread.
#ifndef SANDBOX_EGRESS_PROXY_H_
#define SANDBOX_EGRESS_PROXY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "egress/control.h"
#include "egress/rules.h"

struct event_base;
struct event;

namespace sandbox::egress {

// A relay that moves no byte either way for this long is closed (docs/network.md).
inline constexpr int kRelayIdleTimeoutSeconds = 300;

struct ProxyConfig {
  bool log_only = false;  // --network log: every destination allowed, recorded
  std::vector<HostRule> allow;
  std::vector<Pin> resolve;
  // The names the supervisor numbered before the run (policy::EgressPlan::numbered): name i
  // is answered with number kFirstSyntheticIndex + i, as the job's /etc/hosts says.
  std::vector<std::string> numbered;
  // kRelayIdleTimeoutSeconds; the proxy's hidden --idle-timeout changes it for tests.
  int idle_timeout_seconds = kRelayIdleTimeoutSeconds;
};

class Connection;
class HostResolver;

class Proxy {
 public:
  /// `control`: the supervisor's end of the pair (owned). `claim`: the read end of the
  /// supervisor's claim pipe (owned), holding one byte: the proxy takes it before it serves
  /// anything, and stops if the supervisor took it first (the run ended before anything was
  /// asked of the proxy: the supervisor then kills it instead of waiting for its counts).
  /// Sets up the loop; false on failure.
  Proxy(ProxyConfig config, int control, int claim);
  ~Proxy();
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  bool Init();
  /// Runs until the supervisor says kFinish (or goes away); returns the exit status.
  int Run();

  // For connections.
  event_base* base() const { return base_; }
  const ProxyConfig& config() const { return config_; }
  HostResolver& resolver() { return *resolver_; }
  bool Allowed(const std::string& name, uint16_t port) const;
  /// Counts a connection to name:port (allowed or refused) and returns its counters.
  struct Counters {
    bool allowed = false;
    uint64_t connections = 0;
    uint64_t refused = 0;
    std::string why;  // the first refusal's reason
    uint64_t bytes_sent = 0;
    uint64_t bytes_received = 0;
    int64_t first_unix_ms = 0;
  };
  Counters& Count(const std::string& name, uint16_t port, bool allowed);
  void Close(Connection* connection);
  /// The route the supervisor registered for the peer (the job's socket) at `port`, taken.
  std::optional<std::pair<std::string, uint16_t>> TakeRoute(bool v6, uint16_t port);
  /// The relay's buffers (connection.cc), made at their first use and not zeroed, so pages
  /// no read reached cost nothing. The bulk buffer, kRelayBufferSize bytes, is held by one
  /// relay direction at a time, from a read into it the other side did not take whole until
  /// it has taken every byte of that read: nullptr while a direction holds it.
  char* free_bulk_buffer();
  void HoldBulkBuffer(const void* holder) { bulk_holder_ = holder; }
  /// Gives the bulk buffer back if `holder` has it; otherwise does nothing.
  void ReleaseBulkBuffer(const void* holder);
  /// The step buffer, kRelayStepSize bytes, for every other read: one thread, and such a step
  /// sends what it read before it returns.
  char* step_buffer();
  static constexpr size_t kRelayBufferSize = 4 * 1024 * 1024;
  static constexpr size_t kRelayStepSize = 256 * 1024;

 private:
  static void OnControl(int fd, short what, void* self);
  static void OnAccept(int fd, short what, void* self);
  static void OnDnsUdp(int fd, short what, void* self);
  static void OnDnsTcpAccept(int fd, short what, void* self);
  void ReadControl();
  // True once this proxy holds the claim (its first call takes the byte); false if the
  // supervisor took it: the loop then stops, nothing having been served.
  bool Claim();
  void AddSocket(SocketRole role, int fd);
  void Send(const ControlMessage& message);
  void Finish();
  // Takes one waiting connection off `listener` and closes it, with the spare descriptor;
  // false if there is none to take.
  bool ShedOne(int listener);
  std::optional<uint32_t> DecideName(const std::string& name);

  ProxyConfig config_;
  int control_;
  int claim_;  // -1 once read
  bool claimed_ = false;
  event_base* base_ = nullptr;
  event* control_event_ = nullptr;
  std::vector<event*> socket_events_;
  std::vector<int> sockets_;
  std::unique_ptr<HostResolver> resolver_;
  std::map<std::string, uint32_t> index_of_name_;
  uint32_t next_index_ = kFirstSyntheticIndex;
  std::map<std::pair<bool, uint16_t>, std::pair<std::string, uint16_t>> routes_;
  std::map<std::pair<std::string, uint16_t>, Counters> destinations_;
  std::map<Connection*, std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<Connection>> closed_;  // freed once the callback returned
  std::unique_ptr<char[]> bulk_buffer_;
  const void* bulk_holder_ = nullptr;
  std::unique_ptr<char[]> step_buffer_;
  event* reap_event_ = nullptr;
  int dns_streams_ = 0;  // DnsStream objects alive (proxy.cc)
  int spare_fd_ = -1;    // held for ShedOne: a descriptor to give back when none is left
  int status_ = 0;
  bool finished_ = false;
};

}  // namespace sandbox::egress

#endif  // SANDBOX_EGRESS_PROXY_H_

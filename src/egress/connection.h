// One connection the job made to the proxy, from its first bytes to the end of the relay: the
// head is read and checked (TLS server name, HTTP Host, CONNECT target), the destination
// resolved on the host side and connected to, then both directions are relayed through the
// proxy's shared buffer, each step reading no more than the other side can take at once.
#ifndef SANDBOX_EGRESS_CONNECTION_H_
#define SANDBOX_EGRESS_CONNECTION_H_

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "egress/proxy.h"

struct event;

namespace sandbox::egress {

class Connection {
 public:
  /// `client`: the accepted socket (owned). `route`: the destination the supervisor routed it
  /// to (a transparent connection), or none (an explicit proxy request).
  Connection(Proxy* proxy, int client, std::optional<std::pair<std::string, uint16_t>> route);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start();

  // Bounds (docs/network.md): how long a client may take to send its whole head (a deadline
  // from the accept, not reset by each byte), how long a destination may take to accept, and
  // how long a relay may move nothing either way is ProxyConfig's idle_timeout_seconds.
  static constexpr int kHeadTimeoutSeconds = 10;
  static constexpr int kConnectTimeoutSeconds = 30;

 private:
  enum class State { kHead, kTunnelHead, kResolving, kConnecting, kRelay, kDone };
  // One direction: bytes from `from` to `to`.
  struct Pump {
    int from = -1;
    int to = -1;
    bool eof = false;
    bool done = false;
    uint64_t moved = 0;
    event* readable = nullptr;  // on `from`
    event* writable = nullptr;  // on `to`
    // Bytes read and not yet sent: the head, or what `to` did not take of a step's read;
    // of a read into the proxy's bulk buffer they stay there, `held` (this pump holds it).
    std::string pending;
    std::string_view held;
  };

  static void OnClientHead(int fd, short what, void* self);
  static void OnHeadDeadline(int fd, short what, void* self);
  static void OnIdleCheck(int fd, short what, void* self);
  static void OnConnected(int fd, short what, void* self);
  static void OnPump(int fd, short what, void* self);
  void ReadHead();
  void DecideTransparent();
  void DecideExplicit();
  void CheckTunnelHead();
  // Refuses: counts the destination as denied, tells the supervisor, closes (with an HTTP
  // status first for an explicit request).
  void Refuse(const std::string& name, uint16_t port, const char* why, const char* status);
  void Connect(const std::string& name, uint16_t port);
  void TryNextAddress();
  void StartRelay();
  void Step(Pump* pump);
  // The bytes `pump` has read and not yet sent (held in the bulk buffer, or pending); and
  // the same less the first `n`, the bulk buffer given back once none is held there.
  static std::string_view Waiting(const Pump& pump);
  void Consume(Pump* pump, size_t n);
  void Finish();

  Proxy* proxy_;
  int client_;
  int upstream_ = -1;
  std::optional<std::pair<std::string, uint16_t>> route_;
  State state_ = State::kHead;
  std::string head_;         // bytes the client sent so far, before the decision
  size_t tunnel_start_ = 0;  // CONNECT: where the tunnel's bytes start in head_
  std::string name_;
  uint16_t port_ = 0;
  Proxy::Counters* counters_ = nullptr;
  event* head_event_ = nullptr;
  event* head_deadline_ = nullptr;
  // The relay's idle check (StartRelay sets its period): closed after idle_checks_needed_
  // checks in a row that saw no byte moved either way.
  event* idle_event_ = nullptr;
  uint64_t moved_at_check_ = 0;
  int idle_checks_ = 0;
  int idle_checks_needed_ = 0;
  event* connect_event_ = nullptr;
  uint64_t lookup_ = 0;
  std::vector<sockaddr_storage> addresses_;
  size_t next_address_ = 0;
  Pump up_;    // job -> destination
  Pump down_;  // destination -> job
};

}  // namespace sandbox::egress

#endif  // SANDBOX_EGRESS_CONNECTION_H_

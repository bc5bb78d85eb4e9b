// The records the supervisor and the egress proxy exchange over their SOCK_SEQPACKET pair: one
// fixed-size message each, so one arrives whole or not at all; descriptors ride along with
// SCM_RIGHTS. Plain data, shared by launch/ (the supervisor's side) and the proxy.
#ifndef SANDBOX_EGRESS_CONTROL_H_
#define SANDBOX_EGRESS_CONTROL_H_

#include <cstddef>
#include <cstdint>

namespace sandbox::egress {

enum class ControlKind : uint8_t {
  // supervisor -> proxy
  kSocket = 1,  // `socket` (SocketRole) attached: a socket the sandbox's pid 1 made in the netns
  kRoute = 2,   // the job's socket bound to loopback port `peer_port` (`peer_v6`) is routed to
                // `name`:`port`: the proxy's listener will see it as a transparent connection
  kFinish = 3,  // the run is over: send the counts (kStats), then kDone, and exit
  // proxy -> supervisor
  kName = 10,   // name `name` got the synthetic addresses numbered `index` (its DNS answer)
  kStats = 11,  // one destination: `name`:`port`, allowed or not, its counts
  kDone = 12,   // every kStats is sent
};

enum class SocketRole : uint8_t {
  kDnsUdp = 0,   // 127.0.0.1:53, datagram
  kDnsTcp = 1,   // 127.0.0.1:53, listening
  kProxyV4 = 2,  // 127.0.0.1:kProxyPort, listening
  kProxyV6 = 3,  // [::1]:kProxyPort, listening (absent without IPv6)
};

inline constexpr size_t kControlNameSize = 256;  // a DNS name is at most 253 bytes
inline constexpr size_t kControlWhySize = 64;

struct ControlMessage {
  ControlKind kind = ControlKind::kFinish;
  SocketRole socket = SocketRole::kDnsUdp;
  uint8_t peer_v6 = 0;
  uint8_t allowed = 0;
  uint16_t port = 0;
  uint16_t peer_port = 0;
  uint32_t index = 0;
  uint64_t connections = 0;     // allowed ones
  uint64_t refused = 0;         // refused ones (a name lookup counts as one, on port 0)
  uint64_t bytes_sent = 0;      // from the job to the destination
  uint64_t bytes_received = 0;  // from the destination to the job
  int64_t first_unix_ms = 0;    // when the destination was first asked for
  char name[kControlNameSize] = {};
  char why[kControlWhySize] = {};
};

// The synthetic addresses the sandbox's resolver answers with: number i (from 2) is
// 198.18.0.0 + i (RFC 2544's benchmarking range, 198.18.0.0/15, never routed) and
// fd5b:5b5b::i (a ULA no one else uses). Number 1 is the sandbox's own, put on lo so that
// getaddrinfo's AI_ADDRCONFIG sees both families configured.
inline constexpr uint32_t kSyntheticV4Base = 0xC6120000;  // 198.18.0.0
inline constexpr uint32_t kSyntheticV4Count = 1u << 17;   // /15
inline constexpr uint8_t kSyntheticV6Prefix[12] = {0xfd, 0x5b, 0x5b, 0x5b, 0, 0, 0, 0, 0, 0, 0, 0};
inline constexpr uint32_t kFirstSyntheticIndex = 2;

}  // namespace sandbox::egress

#endif  // SANDBOX_EGRESS_CONTROL_H_

// The in-sandbox half of the egress allow-list (docs/network.md): pid 1, still root of its user
// namespace, gives lo the addresses getaddrinfo's AI_ADDRCONFIG looks for, and makes the
// sockets the proxy serves inside the job's network namespace (the resolver on 127.0.0.1:53,
// the proxy's listeners), which it hands to the supervisor. Child side, async-signal-safe.
#ifndef SANDBOX_CHILD_EGRESS_H_
#define SANDBOX_CHILD_EGRESS_H_

#include <cstdint>

#include "child/step_error.h"

namespace sandbox::child {

/// After lo is up. Sends each socket to the supervisor on `sync_fd` (a kEgressSocket record,
/// op_index its egress::SocketRole) and closes its own copy. An IPv6 listener is skipped only
/// when the namespace has no IPv6 at all (then the job cannot use IPv6 either).
StepError SetUpEgress(int sync_fd, uint16_t proxy_port) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_EGRESS_H_

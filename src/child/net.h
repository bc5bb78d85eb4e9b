// Host identity and network inside the new namespaces: hostname, and `lo` brought up so
// 127.0.0.1 works in an otherwise empty network namespace. Child side, async-signal-safe.
#ifndef SANDBOX_CHILD_NET_H_
#define SANDBOX_CHILD_NET_H_

#include "child/step_error.h"

namespace sandbox::child {

StepError SetHostname(const char* hostname) noexcept;

/// Sets IFF_UP on lo. A new network namespace starts with lo down (network_namespaces(7)).
StepError BringUpLoopback() noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_NET_H_

// The proxy's own confinement, applied once its sockets and resolver configuration are open:
// no filesystem (Landlock handling every right with no rule, and no open(2) at all in its
// seccomp filter), no signals or ptrace out of its domain, and an allow-list seccomp filter of
// the calls an event loop, a relay and a DNS client need.
#ifndef SANDBOX_EGRESS_CONFINE_H_
#define SANDBOX_EGRESS_CONFINE_H_

#include <linux/filter.h>

#include <span>
#include <string>

namespace sandbox::egress {

/// "" on success, else what failed. Irreversible.
std::string ConfineProxy();

/// The seccomp program ConfineProxy installs (proxy_filter.h's, compiled at build time).
std::span<const sock_filter> ProxyFilterProgram();
/// Installs it on the calling thread (no_new_privs must be set). "" on success, else what
/// failed. Irreversible.
std::string InstallProxyFilter();

}  // namespace sandbox::egress

#endif  // SANDBOX_EGRESS_CONFINE_H_

// What the socket fence asks about inet destinations when the run has an egress allow-list
// (docs/network.md): a connect(2) stays local, is routed to the sandbox's proxy, or is refused;
// a datagram to anywhere but the job's own addresses is refused. Implemented by the supervisor
// (launch/egress_link.h); the fence itself knows nothing of names or proxies.
#ifndef SANDBOX_SECCOMP_EGRESS_ROUTER_H_
#define SANDBOX_SECCOMP_EGRESS_ROUTER_H_

#include <sys/types.h>

#include <vector>

namespace sandbox::seccomp {

class EgressRouter {
 public:
  virtual ~EgressRouter() = default;

  /// The job's `socket` (its own, taken with pidfd_getfd), of `type`, connects to `address`
  /// (an AF_INET or AF_INET6 sockaddr as the job wrote it). Returns 0 and leaves `address`
  /// alone (a destination of the job's own), 0 with `address` replaced (the proxy's listener,
  /// the socket prepared for it), or the errno the job gets (the refusal is recorded against
  /// `pid`, a caller still blocked in the call, read through `proc_dir`).
  virtual int RouteConnect(int proc_dir, pid_t pid, int socket, int type,
                           std::vector<char>* address) = 0;

  /// A send with destination `address` on a socket of `type`: 0 if it may go (a destination of
  /// the job's own), else the errno (recorded).
  virtual int CheckSend(int proc_dir, pid_t pid, int type, const std::vector<char>& address,
                        int flags) = 0;
};

}  // namespace sandbox::seccomp

#endif  // SANDBOX_SECCOMP_EGRESS_ROUTER_H_

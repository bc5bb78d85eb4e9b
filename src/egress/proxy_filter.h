// The egress proxy's seccomp filter, compiled with libseccomp. Only the build-time generator
// (proxy_filter_generate.cc) and the unit tests call it: the proxy installs the program the
// generator wrote (confine.cc), so it neither links libseccomp nor compiles at every start.
#ifndef SANDBOX_EGRESS_PROXY_FILTER_H_
#define SANDBOX_EGRESS_PROXY_FILTER_H_

#include <linux/filter.h>

#include <vector>

#include "common/result.h"

namespace sandbox::egress {

/// The allow-list (calls not on it fail with EPERM; `socket` only for AF_INET and AF_INET6;
/// other architectures' calls kill the thread, libseccomp's default) as a BPF program for this
/// architecture. Fails only if libseccomp does.
Result<std::vector<sock_filter>> CompileProxyFilter();

}  // namespace sandbox::egress

#endif  // SANDBOX_EGRESS_PROXY_FILTER_H_

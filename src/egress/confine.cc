#include "egress/confine.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "common/landlock_abi.h"
#include "egress/proxy_filter_program.h"  // generated at build time (proxy_filter_generate.cc)

namespace sandbox::egress {
namespace {

struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

std::string Failed(const char* what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

// Every filesystem right handled and no rule added: nothing of the filesystem is reachable,
// and (ABI 6) no signal or abstract unix socket outside the proxy's own domain. Without
// Landlock the seccomp filter below still allows no open(2).
std::string ApplyLandlock() {
  int abi = landlock::ProbeAbi();
  if (abi <= 0) return "";
  RulesetAttr attr = {};
  attr.handled_access_fs = landlock::HandledFsRights(abi);
  attr.scoped = landlock::HandledScopes(abi);
  size_t size = abi >= 6 ? sizeof(attr) : abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
  long ruleset = ::syscall(SYS_landlock_create_ruleset, &attr, size, 0);
  if (ruleset < 0) return Failed("landlock_create_ruleset", errno);
  long rc = ::syscall(SYS_landlock_restrict_self, static_cast<int>(ruleset), 0);
  int err = errno;
  ::close(static_cast<int>(ruleset));
  return rc == 0 ? "" : Failed("landlock_restrict_self", err);
}

}  // namespace

std::span<const sock_filter> ProxyFilterProgram() { return generated::kProxyFilter; }

std::string InstallProxyFilter() {
  // Compiled at build time from proxy_filter.cc's list: libseccomp would spend more time
  // probing the kernel and compiling than the rest of the proxy's start. Without TSYNC or any
  // other flag, as seccomp_load installed it: the proxy has one thread.
  std::span<const sock_filter> program = ProxyFilterProgram();
  sock_fprog prog = {static_cast<unsigned short>(program.size()),
                     const_cast<sock_filter*>(program.data())};
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    return Failed("seccomp", errno);
  }
  return "";
}

std::string ConfineProxy() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Failed("no_new_privs", errno);
  // Not dumpable: no process of the same user may ptrace it or read its memory.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (std::string error = ApplyLandlock(); !error.empty()) return error;
  return InstallProxyFilter();
}

}  // namespace sandbox::egress

#include "egress/confine.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "common/landlock_abi.h"

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

std::string ApplySeccomp() {
  // Anything else fails with EPERM: the proxy never needs it, and a compromised proxy gets
  // nothing from it (no open, exec, ptrace, process_vm_*, kill, mount, unshare...).
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  if (ctx == nullptr) return "seccomp_init failed";
  static constexpr const char* kAllowed[] = {
      // memory, time, randomness, the loop
      "brk",
      "mmap",
      "munmap",
      "mremap",
      "madvise",
      "mprotect",
      "futex",
      "clock_gettime",
      "clock_nanosleep",
      "gettimeofday",
      "getrandom",
      "epoll_create1",
      "epoll_ctl",
      "epoll_wait",
      "epoll_pwait",
      "rt_sigprocmask",
      "rt_sigreturn",
      "getpid",
      "gettid",
      "exit",
      "exit_group",
      "restart_syscall",
      "sched_yield",
      "getrlimit",
      "prlimit64",
      // descriptors and sockets already held or made for a destination
      "read",
      "write",
      "readv",
      "writev",
      "close",
      "fcntl",
      "pipe2",
      "splice",
      "dup",
      "accept",
      "accept4",
      "connect",
      "shutdown",
      "getsockopt",
      "setsockopt",
      "getsockname",
      "getpeername",
      "recvfrom",
      "recvmsg",
      "recvmmsg",
      "sendto",
      "sendmsg",
      "sendmmsg",
      "bind",
      "ioctl",
      "poll",
      "ppoll",
      "select",
      "pselect6",
      "fstat",
      "newfstatat",
  };
  for (const char* name : kAllowed) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0) {
      seccomp_release(ctx);
      return std::string("seccomp_rule_add ") + name + " failed";
    }
  }
  // New sockets: IPv4 and IPv6 only (destinations, and c-ares's queries to the host's
  // resolvers).
  for (int family : {AF_INET, AF_INET6}) {
    // The family's low 32 bits (the kernel reads an int), as SCMP_A0_32 would say.
    scmp_arg_cmp family_is = {};
    family_is.arg = 0;
    family_is.op = SCMP_CMP_MASKED_EQ;
    family_is.datum_a = 0xffffffffu;
    family_is.datum_b = static_cast<uint32_t>(family);
    if (seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &family_is) != 0) {
      seccomp_release(ctx);
      return "seccomp_rule_add socket failed";
    }
  }
  int rc = seccomp_load(ctx);
  seccomp_release(ctx);
  return rc == 0 ? "" : Failed("seccomp_load", -rc);
}

}  // namespace

std::string ConfineProxy() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Failed("no_new_privs", errno);
  // Not dumpable: no process of the same user may ptrace it or read its memory.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (std::string error = ApplyLandlock(); !error.empty()) return error;
  return ApplySeccomp();
}

}  // namespace sandbox::egress

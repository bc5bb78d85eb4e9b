#include "egress/proxy_filter.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/unique_fd.h"

namespace sandbox::egress {
namespace {

struct ContextFree {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

Error Failed(const std::string& what, int rc) {
  return MakeError("cannot compile the egress proxy's seccomp filter: " + what, -rc);
}

}  // namespace

Result<std::vector<sock_filter>> CompileProxyFilter() {
  // Anything else fails with EPERM: the proxy never needs it, and a compromised proxy gets
  // nothing from it (no open, exec, ptrace, process_vm_*, kill, mount, unshare...).
  std::unique_ptr<void, ContextFree> ctx(seccomp_init(SCMP_ACT_ERRNO(EPERM)));
  if (!ctx) return MakeError("cannot compile the egress proxy's seccomp filter: seccomp_init");
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
    if (int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, nr, 0); rc != 0) {
      return Failed(std::string("rule for ") + name, rc);
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
    if (int rc = seccomp_rule_add_array(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &family_is);
        rc != 0) {
      return Failed("rule for socket", rc);
    }
  }
  // libseccomp 2.5 exports to a descriptor only.
  UniqueFd memory(::memfd_create("egress-proxy-bpf", MFD_CLOEXEC));
  if (!memory) return MakeError("cannot create a memfd for the egress proxy's filter", errno);
  if (int rc = seccomp_export_bpf(ctx.get(), memory.get()); rc < 0) return Failed("export", rc);
  off_t size = ::lseek(memory.get(), 0, SEEK_END);
  if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    return MakeError("cannot compile the egress proxy's seccomp filter: export gave " +
                     std::to_string(size) + " bytes");
  }
  std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
  if (::pread(memory.get(), program.data(), static_cast<size_t>(size), 0) != size) {
    return MakeError("cannot read back the egress proxy's seccomp filter", errno);
  }
  return program;
}

}  // namespace sandbox::egress

#include "seccomp/names.h"

#include <seccomp.h>

#include <algorithm>
#include <cstdlib>

namespace sandbox::seccomp {
namespace {

constexpr int kX32Bit = 0x40000000;  // __X32_SYSCALL_BIT
constexpr uint32_t kArches[] = {SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32};

}  // namespace

bool IsKnownSyscall(std::string_view name) {
  std::string text(name);
  for (uint32_t arch : kArches) {
    int nr = seccomp_syscall_resolve_name_arch(arch, text.c_str());
    // Negative numbers are libseccomp's stand-ins for calls another ABI has.
    if (nr != __NR_SCMP_ERROR && nr >= 0) return true;
  }
  return false;
}

const std::vector<std::string>& KnownSyscalls() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (uint32_t arch : {uint32_t{SCMP_ARCH_X86_64}, uint32_t{SCMP_ARCH_X86}}) {
      for (int nr = 0; nr < 1024; ++nr) {
        char* name = seccomp_syscall_resolve_num_arch(arch, nr);
        if (name == nullptr) continue;
        all.emplace_back(name);
        std::free(name);
      }
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
  }();
  return names;
}

std::string SyscallName(uint32_t audit_arch, int nr) {
  uint32_t arch = audit_arch;
  // x32 calls arrive with x86_64's audit arch and the x32 bit set in the number.
  if (audit_arch == SCMP_ARCH_X86_64 && (nr & kX32Bit) != 0) arch = SCMP_ARCH_X32;
  char* name = seccomp_syscall_resolve_num_arch(arch, nr);
  if (name == nullptr) return "syscall " + std::to_string(nr);
  std::string result(name);
  std::free(name);
  return result;
}

}  // namespace sandbox::seccomp

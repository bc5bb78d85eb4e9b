// System call names as libseccomp knows them, for validating profiles and for naming a denied
// call in a report.
#ifndef SANDBOX_SECCOMP_NAMES_H_
#define SANDBOX_SECCOMP_NAMES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sandbox::seccomp {

/// True if `name` is a system call on x86_64, i386 or x32.
bool IsKnownSyscall(std::string_view name);

/// Every x86_64 and i386 system call name, sorted, for "did you mean" hints.
const std::vector<std::string>& KnownSyscalls();

/// The name of call `nr` made through the ABI `audit_arch` (AUDIT_ARCH_*, as seccomp_data
/// carries it); "syscall 999" when unknown.
std::string SyscallName(uint32_t audit_arch, int nr);

}  // namespace sandbox::seccomp

#endif  // SANDBOX_SECCOMP_NAMES_H_

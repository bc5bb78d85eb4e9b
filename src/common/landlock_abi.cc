#include "common/landlock_abi.h"

#include <sys/syscall.h>
#include <unistd.h>

namespace sandbox::landlock {

uint64_t HandledFsRights(int abi) noexcept {
  if (abi <= 0) return 0;
  uint64_t rights = (1ULL << 13) - 1;  // ABI 1: execute .. make_sym
  if (abi >= 2) rights |= kRefer;
  if (abi >= 3) rights |= kTruncate;
  if (abi >= 5) rights |= kIoctlDev;
  if (abi >= 9) rights |= kResolveUnix;
  return rights;
}

uint64_t HandledScopes(int abi) noexcept {
  return abi >= 6 ? kScopeAbstractUnixSocket | kScopeSignal : 0;
}

int ProbeAbi() noexcept {
  constexpr unsigned kCreateRulesetVersion = 1U << 0;
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, kCreateRulesetVersion);
  return abi < 0 ? 0 : static_cast<int>(abi);
}

}  // namespace sandbox::landlock

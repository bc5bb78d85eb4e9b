// The resource limits a run can set, by the names flags and profiles use.
#ifndef SANDBOX_COMMON_RLIMITS_H_
#define SANDBOX_COMMON_RLIMITS_H_

#include <sys/resource.h>

#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace sandbox {

struct RlimitName {
  const char* name;  // "nofile"
  int resource;      // RLIMIT_NOFILE
  enum class Unit { kCount, kBytes, kSeconds } unit;
};

/// nofile, nproc, fsize, cpu, core, stack, as.
const RlimitName* FindRlimit(std::string_view name);

/// All names, for messages.
const char* RlimitNames();

/// Parses a value for `limit`: "unlimited", a count, a size (K/M/G/T) for byte limits, a
/// duration (s/m/h) for cpu.
Result<uint64_t> ParseRlimitValue(const RlimitName& limit, std::string_view text);

}  // namespace sandbox

#endif  // SANDBOX_COMMON_RLIMITS_H_

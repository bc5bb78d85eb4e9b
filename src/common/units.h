// Parsing of human quantities shared by flags and profiles: durations ("30s", "5m") and
// byte sizes ("64M", "1G"). Parent side only.
#ifndef SANDBOX_COMMON_UNITS_H_
#define SANDBOX_COMMON_UNITS_H_

#include <chrono>
#include <cstdint>
#include <string_view>

#include "common/result.h"

namespace sandbox {

/// "250ms", "30s", "5m", "2h", "1d" or a bare number of seconds. Fails on anything else,
/// on zero-length input and on overflow.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

/// A byte count with an optional K, M, G or T suffix (powers of 1024), e.g. "64M".
Result<uint64_t> ParseSize(std::string_view text);

/// An octal permission mode such as "0755" or "1777" (at most 07777).
Result<unsigned> ParseMode(std::string_view text);

}  // namespace sandbox

#endif  // SANDBOX_COMMON_UNITS_H_

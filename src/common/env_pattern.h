// Environment variable name patterns (`*` and `?`), shared by the profile composition and the
// job's environment. Parent side only.
#ifndef SANDBOX_COMMON_ENV_PATTERN_H_
#define SANDBOX_COMMON_ENV_PATTERN_H_

#include <string_view>

namespace sandbox {

/// True if `pattern` has a wildcard (`*` any run of characters, `?` one character).
bool IsEnvPattern(std::string_view pattern);

/// Shell-style match of a variable name against a pattern of `*` and `?`; every other
/// character stands for itself.
bool MatchEnvPattern(std::string_view pattern, std::string_view name);

}  // namespace sandbox

#endif  // SANDBOX_COMMON_ENV_PATTERN_H_

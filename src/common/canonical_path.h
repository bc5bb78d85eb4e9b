// realpath(3) without the malloc'd buffer to free at each call site.
#ifndef SANDBOX_COMMON_CANONICAL_PATH_H_
#define SANDBOX_COMMON_CANONICAL_PATH_H_

#include <string>

namespace sandbox {

/// `path` with every symlink, "." and ".." resolved; "" when it cannot be (absent,
/// unreadable, empty), with errno saying why.
std::string CanonicalPath(const std::string& path);

}  // namespace sandbox

#endif  // SANDBOX_COMMON_CANONICAL_PATH_H_

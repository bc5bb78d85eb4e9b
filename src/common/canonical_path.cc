#include "common/canonical_path.h"

#include <limits.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

namespace sandbox {

std::string CanonicalPath(const std::string& path) {
  if (path.empty()) {
    errno = ENOENT;
    return "";
  }
  std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
  return real ? std::string(real.get()) : "";
}

}  // namespace sandbox

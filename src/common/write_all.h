// Writing a whole buffer to a descriptor, retrying short writes and EINTR.
#ifndef SANDBOX_COMMON_WRITE_ALL_H_
#define SANDBOX_COMMON_WRITE_ALL_H_

#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace sandbox {

/// False if the descriptor refused (a closed pipe, a full disk); what was written stays written.
inline bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace sandbox

#endif  // SANDBOX_COMMON_WRITE_ALL_H_

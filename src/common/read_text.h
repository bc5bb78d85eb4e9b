// Small text files read whole: /proc and /sys entries, where a missing file is an answer.
#ifndef SANDBOX_COMMON_READ_TEXT_H_
#define SANDBOX_COMMON_READ_TEXT_H_

#include <string>

namespace sandbox {

/// What is left to read of `fd` (what was read before an error is kept).
std::string ReadAll(int fd);

/// The whole of `path`; "" when it cannot be opened (what was read before an error is kept).
std::string ReadTextFile(const char* path);

}  // namespace sandbox

#endif  // SANDBOX_COMMON_READ_TEXT_H_

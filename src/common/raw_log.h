// Async-signal-safe text building and logging for code between clone() and execve() and for
// pid 1: fixed stack buffers and write(2), no allocation, no locale, no strerror.
#ifndef SANDBOX_COMMON_RAW_LOG_H_
#define SANDBOX_COMMON_RAW_LOG_H_

#include <cstddef>

namespace sandbox {

/// A fixed-capacity string builder. Appends past the capacity are truncated, never overflow.
/// Async-signal-safe.
class RawBuffer {
 public:
  RawBuffer(char* storage, size_t capacity) noexcept;
  RawBuffer& Append(const char* text) noexcept;
  RawBuffer& Append(const char* text, size_t length) noexcept;
  RawBuffer& AppendInt(long long value) noexcept;
  RawBuffer& AppendOctal(unsigned long value) noexcept;
  const char* c_str() const noexcept { return storage_; }
  size_t size() const noexcept { return size_; }

 private:
  char* storage_;
  size_t capacity_;
  size_t size_ = 0;
};

/// Length of a NUL-terminated string (strlen is not guaranteed async-signal-safe).
size_t RawLength(const char* text) noexcept;

/// Copies src into dst (capacity bytes, always NUL-terminated). Returns false if truncated.
bool RawCopy(char* dst, size_t capacity, const char* src) noexcept;

/// Writes all of text to fd, retrying on EINTR and short writes. Async-signal-safe.
void RawWriteAll(int fd, const char* text, size_t length) noexcept;

/// Symbolic errno name ("ENOENT") for the errnos setup can produce; "E?" otherwise.
const char* ErrnoName(int errno_value) noexcept;

}  // namespace sandbox

#endif  // SANDBOX_COMMON_RAW_LOG_H_

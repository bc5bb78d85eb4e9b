#include "common/raw_log.h"

#include <unistd.h>

#include <cerrno>

namespace sandbox {

RawBuffer::RawBuffer(char* storage, size_t capacity) noexcept
    : storage_(storage), capacity_(capacity) {
  if (capacity_ > 0) storage_[0] = '\0';
}

RawBuffer& RawBuffer::Append(const char* text, size_t length) noexcept {
  if (capacity_ == 0) return *this;
  for (size_t i = 0; i < length && size_ + 1 < capacity_; ++i) storage_[size_++] = text[i];
  storage_[size_] = '\0';
  return *this;
}

RawBuffer& RawBuffer::Append(const char* text) noexcept { return Append(text, RawLength(text)); }

RawBuffer& RawBuffer::AppendInt(long long value) noexcept {
  char digits[24];
  int n = 0;
  unsigned long long magnitude = value < 0 ? 0ULL - static_cast<unsigned long long>(value)
                                           : static_cast<unsigned long long>(value);
  do {
    digits[n++] = static_cast<char>('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude != 0);
  if (value < 0) digits[n++] = '-';
  char ordered[24];
  for (int i = 0; i < n; ++i) ordered[i] = digits[n - 1 - i];
  return Append(ordered, static_cast<size_t>(n));
}

RawBuffer& RawBuffer::AppendOctal(unsigned long value) noexcept {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  } while (value != 0);
  char ordered[24];
  for (int i = 0; i < n; ++i) ordered[i] = digits[n - 1 - i];
  return Append(ordered, static_cast<size_t>(n));
}

size_t RawLength(const char* text) noexcept {
  size_t n = 0;
  while (text[n] != '\0') ++n;
  return n;
}

bool RawCopy(char* dst, size_t capacity, const char* src) noexcept {
  if (capacity == 0) return false;
  size_t i = 0;
  for (; src[i] != '\0'; ++i) {
    if (i + 1 >= capacity) {
      dst[i] = '\0';
      return false;
    }
    dst[i] = src[i];
  }
  dst[i] = '\0';
  return true;
}

void RawWriteAll(int fd, const char* text, size_t length) noexcept {
  while (length > 0) {
    ssize_t n = ::write(fd, text, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    text += n;
    length -= static_cast<size_t>(n);
  }
}

const char* ErrnoName(int e) noexcept {
  switch (e) {
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case EACCES:
      return "EACCES";
    case EEXIST:
      return "EEXIST";
    case ENOTDIR:
      return "ENOTDIR";
    case EISDIR:
      return "EISDIR";
    case EINVAL:
      return "EINVAL";
    case ELOOP:
      return "ELOOP";
    case EXDEV:
      return "EXDEV";
    case ENOSYS:
      return "ENOSYS";
    case EBUSY:
      return "EBUSY";
    case ENOMEM:
      return "ENOMEM";
    case ENOSPC:
      return "ENOSPC";
    case EROFS:
      return "EROFS";
    case ENOEXEC:
      return "ENOEXEC";
    case EBADF:
      return "EBADF";
    case ENAMETOOLONG:
      return "ENAMETOOLONG";
    default:
      return "E?";
  }
}

}  // namespace sandbox

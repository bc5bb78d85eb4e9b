#include "seccomp/message_copy.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace sandbox::seccomp {
namespace {

// The caller's structures, spelled out: this process is 64-bit whatever the caller is.
struct Msghdr64 {
  uint64_t name;
  int32_t namelen;
  uint32_t pad;
  uint64_t iov;
  uint64_t iovlen;
  uint64_t control;
  uint64_t controllen;
  int32_t flags;
  uint32_t pad2;
};
static_assert(sizeof(Msghdr64) == 56);
struct Msghdr32 {  // struct compat_msghdr
  uint32_t name;
  int32_t namelen;
  uint32_t iov;
  uint32_t iovlen;
  uint32_t control;
  uint32_t controllen;
  uint32_t flags;
};
static_assert(sizeof(Msghdr32) == 28);

// One shape for both layouts once read.
struct Header {
  uint64_t name, iov, iovlen, control, controllen;
  int64_t namelen;
};

constexpr size_t kMaxAddress = sizeof(sockaddr_storage);
constexpr uint64_t kMaxIov = 1024;  // UIO_MAXIOV
// The kernel copies control data into a buffer of the socket's option memory (optmem_max,
// 20 KiB to 128 KiB); more is ENOBUFS there too.
constexpr uint64_t kMaxControl = 256 * 1024;

bool Read(int memory, uint64_t address, void* out, size_t size) {
  if (size == 0) return true;
  return ::pread(memory, out, size, static_cast<off_t>(address)) == static_cast<ssize_t>(size);
}

// Control messages in the caller's layout: a {len, level, type} header (size_t len natively,
// 32 bits in compat) aligned to 8 or 4 bytes, as __scm_send and
// cmsghdr_from_user_compat_to_kern walk them. EINVAL for a message that overruns the buffer.
int ParseControl(const std::vector<char>& buffer, bool compat, std::vector<ControlMessage>* out) {
  const size_t align = compat ? 4 : sizeof(uint64_t);
  const size_t header = compat ? 12 : 16;
  auto aligned = [align](size_t n) { return (n + align - 1) & ~(align - 1); };
  size_t at = 0;
  while (buffer.size() - at >= header) {
    uint64_t length = 0;
    if (compat) {
      uint32_t l32;
      std::memcpy(&l32, buffer.data() + at, sizeof(l32));
      length = l32;
    } else {
      std::memcpy(&length, buffer.data() + at, sizeof(length));
    }
    if (length < header || length > buffer.size() - at) return EINVAL;
    ControlMessage m;
    size_t ints_at = at + (compat ? 4 : 8);
    std::memcpy(&m.level, buffer.data() + ints_at, sizeof(int));
    std::memcpy(&m.type, buffer.data() + ints_at + sizeof(int), sizeof(int));
    m.data.assign(buffer.data() + at + header, buffer.data() + at + length);
    out->push_back(std::move(m));
    at += aligned(static_cast<size_t>(length));
    if (at >= buffer.size()) break;
  }
  return 0;
}

}  // namespace

MmsgLayout MmsgLayoutOf(bool compat) {
  // struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; }, padded natively.
  return compat ? MmsgLayout{32, sizeof(Msghdr32)} : MmsgLayout{64, sizeof(Msghdr64)};
}

int CopyMessage(int memory, uint64_t address, bool compat, bool stream, size_t max_data,
                CopiedMessage* out) {
  Header h = {};
  if (compat) {
    Msghdr32 m;
    if (!Read(memory, address, &m, sizeof(m))) return EFAULT;
    h = {m.name, m.iov, m.iovlen, m.control, m.controllen, m.namelen};
  } else {
    Msghdr64 m;
    if (!Read(memory, address, &m, sizeof(m))) return EFAULT;
    h = {m.name, m.iov, m.iovlen, m.control, m.controllen, m.namelen};
  }
  // __copy_msghdr: no name means no length; a negative length is EINVAL, a long one is cut to
  // a sockaddr_storage; too many iovecs is EMSGSIZE.
  if (h.name == 0) h.namelen = 0;
  if (h.namelen < 0) return EINVAL;
  if (h.iovlen > kMaxIov) return EMSGSIZE;
  out->address.resize(std::min(static_cast<size_t>(h.namelen), kMaxAddress));
  if (!Read(memory, h.name, out->address.data(), out->address.size())) return EFAULT;

  // import_iovec: a negative length is EINVAL. The bytes are read after the control data, as
  // the kernel copies them last (while sending).
  struct Span {
    uint64_t base, length;
  };
  std::vector<Span> spans(static_cast<size_t>(h.iovlen));
  uint64_t total = 0;
  if (compat) {
    std::vector<uint32_t> raw(spans.size() * 2);
    if (!Read(memory, h.iov, raw.data(), raw.size() * sizeof(uint32_t))) return EFAULT;
    for (size_t i = 0; i < spans.size(); ++i) {
      if (static_cast<int32_t>(raw[2 * i + 1]) < 0) return EINVAL;
      spans[i] = {raw[2 * i], raw[2 * i + 1]};
    }
  } else {
    std::vector<uint64_t> raw(spans.size() * 2);
    if (!Read(memory, h.iov, raw.data(), raw.size() * sizeof(uint64_t))) return EFAULT;
    for (size_t i = 0; i < spans.size(); ++i) {
      if (static_cast<int64_t>(raw[2 * i + 1]) < 0) return EINVAL;
      spans[i] = {raw[2 * i], raw[2 * i + 1]};
    }
  }
  for (const Span& s : spans) total += s.length;

  if (h.controllen > INT_MAX || h.controllen > kMaxControl) return ENOBUFS;
  std::vector<char> control(static_cast<size_t>(h.controllen));
  if (!Read(memory, h.control, control.data(), control.size())) return EFAULT;
  if (int err = ParseControl(control, compat, &out->control); err != 0) return err;

  if (total > max_data) {
    if (!stream) return EMSGSIZE;
    total = max_data;
  }
  out->data.resize(static_cast<size_t>(total));
  size_t at = 0;
  for (const Span& s : spans) {
    size_t take = std::min(static_cast<size_t>(s.length), out->data.size() - at);
    if (!Read(memory, s.base, out->data.data() + at, take)) return EFAULT;
    at += take;
    if (at == out->data.size()) break;
  }
  return 0;
}

}  // namespace sandbox::seccomp

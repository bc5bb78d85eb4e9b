// Copies a sendmsg(2) message (msghdr, its address, iovecs and control messages) out of a
// caller's memory once, in the caller's layout (64-bit, or the compat layout of i386 and x32),
// with the kernel's own checks and errnos, for the socket fence to send it on the caller's behalf.
#ifndef SANDBOX_SECCOMP_MESSAGE_COPY_H_
#define SANDBOX_SECCOMP_MESSAGE_COPY_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sandbox::seccomp {

/// One control message as the caller wrote it: its level, type and payload.
struct ControlMessage {
  int level = 0;
  int type = 0;
  std::vector<char> data;
};

struct CopiedMessage {
  std::vector<char> address;  // empty: no destination (msg_name NULL or msg_namelen 0)
  std::vector<char> data;     // the iovecs' bytes, concatenated
  std::vector<ControlMessage> control;
};

/// Where a struct mmsghdr's msg_len lies, and how large one is, in either layout.
struct MmsgLayout {
  size_t size;
  size_t length_at;
};
MmsgLayout MmsgLayoutOf(bool compat);

/// Copies the message whose msghdr is at `address` of the caller whose memory `memory` reads
/// (a /proc/PID/mem descriptor, or any file laid out the same way; not owned). `compat`: the
/// 32-bit layout (i386, x32). At most `max_data` bytes are copied: beyond it a stream socket
/// (`stream`) takes the first `max_data` (a short write), anything else gets EMSGSIZE. Returns
/// 0, or the errno the kernel's sendmsg gives for the same message (EFAULT, EINVAL, EMSGSIZE,
/// ENOBUFS).
int CopyMessage(int memory, uint64_t address, bool compat, bool stream, size_t max_data,
                CopiedMessage* out);

}  // namespace sandbox::seccomp

#endif  // SANDBOX_SECCOMP_MESSAGE_COPY_H_

#include "common/record.h"

#include <sys/socket.h>

#include <cerrno>

#include "common/raw_log.h"

namespace sandbox {

Record MakeErrorRecord(RecordKind kind, SetupStep step, int error, int op_index, const char* path,
                       const char* detail) noexcept {
  Record record;
  record.kind = kind;
  record.step = step;
  record.error = error;
  record.op_index = op_index;
  if (path != nullptr) RawCopy(record.path, sizeof(record.path), path);
  if (detail != nullptr) RawCopy(record.detail, sizeof(record.detail), detail);
  return record;
}

Record MakeStepRecord(SetupStep step, int op_index, int64_t nanoseconds) noexcept {
  Record record;
  record.kind = RecordKind::kStepDone;
  record.step = step;
  record.op_index = op_index;
  record.nanoseconds = nanoseconds;
  return record;
}

Record MakeReadyRecord() noexcept {
  Record record;
  record.kind = RecordKind::kSandboxReady;
  return record;
}

bool SendRecord(int fd, const Record& record) noexcept {
  for (;;) {
    ssize_t n = ::send(fd, &record, sizeof(record), MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(sizeof(record))) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

bool SendRecordWithFd(int fd, const Record& record, int passed) noexcept {
  return SendWithFd(fd, &record, sizeof(record), passed);
}

long ReceiveRecord(int fd, Record* record, int* passed) noexcept {
  return ReceiveWithFd(fd, record, sizeof(*record), passed);
}

bool SendWithFd(int fd, const void* data, size_t size, int passed) noexcept {
  struct iovec iov = {const_cast<void*>(data), size};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  struct cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  __builtin_memcpy(CMSG_DATA(cmsg), &passed, sizeof(int));
  for (;;) {
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(size)) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

long ReceiveWithFd(int fd, void* data, size_t size, int* passed) noexcept {
  *passed = -1;
  struct iovec iov = {data, size};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n <= 0) return n;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int))) {
      __builtin_memcpy(passed, CMSG_DATA(c), sizeof(int));
    }
  }
  return n;
}

}  // namespace sandbox

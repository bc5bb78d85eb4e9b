#include "launch/listener_receiver.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <utility>

// Linux 6.6 (the uapi headers of Debian 12 predate it).
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS _IOW('!', 4, uint64_t)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace sandbox::launch {

UniqueFd ListenerReceiver::TakeListener() {
  // Every trapped call is a round trip: the caller blocks, the supervisor answers at once. With
  // this flag the kernel hands the CPU over between the two instead of waking the other on
  // another CPU (an IPI, costly on a VM); the fence's round trip is that much shorter
  // (docs/performance.md). An older kernel refuses the ioctl and wakes as before.
  if (listener_) {
    (void)::ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                  SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  }
  return std::move(listener_);
}

bool ListenerReceiver::OnRecord(const Record& record, UniqueFd& attached, int sync_fd) {
  switch (record.kind) {
    case RecordKind::kSeccompListener:
      if (attached) listener_ = std::move(attached);
      return true;
    case RecordKind::kSeccompPidfd:
      job_pidfd_ = std::move(attached);
      return true;
    case RecordKind::kSeccompListenerAt: {
      // The job is blocked on the answer, so its table still holds the listener under that
      // number (listener_handover.cc says why the kernel lets us take it).
      int err = EBADF;
      if (job_pidfd_) {
        listener_.Reset(
            static_cast<int>(::syscall(SYS_pidfd_getfd, job_pidfd_.get(), record.status, 0)));
        err = listener_ ? 0 : errno;
      }
      job_pidfd_.Reset();
      unsigned char answer = static_cast<unsigned char>(err >= 0 && err < 256 ? err : EPERM);
      // A job gone meanwhile reads nothing; its record says why.
      (void)::send(sync_fd, &answer, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace sandbox::launch

#include "launch/listener_receiver.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace sandbox::launch {

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

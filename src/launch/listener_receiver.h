// The supervisor's end of the seccomp listener's hand-over (common/listener_handover.h): takes
// the listener from the job, attached to a record or with pidfd_getfd(2), and answers the job.
#ifndef SANDBOX_LAUNCH_LISTENER_RECEIVER_H_
#define SANDBOX_LAUNCH_LISTENER_RECEIVER_H_

#include <utility>

#include "common/record.h"
#include "common/unique_fd.h"

namespace sandbox::launch {

class ListenerReceiver {
 public:
  /// Takes `record` if it belongs to the hand-over (true), with the descriptor that came
  /// attached to it (left alone for any other record). A kSeccompListenerAt record is answered
  /// on `sync_fd` at once (the job waits for it): 0 when the listener was taken, else the errno
  /// of pidfd_getfd.
  bool OnRecord(const Record& record, UniqueFd& attached, int sync_fd);

  /// The listener, once it came (then invalid until the next one), set to wake its reader on
  /// the caller's CPU where the kernel can.
  UniqueFd TakeListener();
  bool has_listener() const { return listener_.valid(); }

 private:
  UniqueFd job_pidfd_;  // kSeccompPidfd: the job, until its listener is taken
  UniqueFd listener_;
};

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_LISTENER_RECEIVER_H_

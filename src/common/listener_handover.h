// Installs the job's seccomp filter with a notification listener and hands the listener to the
// supervisor over the sync socket, although the filter itself gives every sendmsg(2) to that
// listener (the socket fence), so the listener cannot travel attached to a message of the job.
#ifndef SANDBOX_COMMON_LISTENER_HANDOVER_H_
#define SANDBOX_COMMON_LISTENER_HANDOVER_H_

#include <linux/filter.h>

namespace sandbox {

/// How the listener reaches the supervisor.
enum class ListenerHandover {
  // The supervisor takes it with pidfd_getfd(2): before the filter the job sends its own pidfd
  // (kSeccompPidfd), after it the listener's number with a write(2) (kSeccompListenerAt), and
  // waits for the supervisor's one-byte answer (0, or the errno of its pidfd_getfd). No extra
  // process. Needs the job to be attachable by the supervisor (a dumpable job: see the .cc);
  // a job that is not falls back to kHelper by itself.
  kPull,
  // A helper forked before the filter, sharing the descriptor table, sends the listener
  // attached (SCM_RIGHTS) to a kSeccompListener record: for a job the supervisor may not
  // attach to (`sandbox enter`'s, non-dumpable until its execve), or a host whose Yama
  // ptrace_scope forbids every attach.
  kHelper,
};

/// Installs `program` on the calling thread with SECCOMP_FILTER_FLAG_NEW_LISTENER and hands
/// the listener to the supervisor over `sync_fd` (a SOCK_SEQPACKET socket whose other end
/// answers kPull's request); the caller keeps no copy. Returns 0, or the errno of the step that
/// failed (seccomp's own; EPIPE when the listener could not be sent; the supervisor's errno
/// when it could not take it). *installed tells whether the filter is in place.
/// Async-signal-safe, no allocation.
int InstallFilterAndHandOverListener(int sync_fd, ListenerHandover how,
                                     const struct sock_fprog* program, bool* installed) noexcept;

}  // namespace sandbox

#endif  // SANDBOX_COMMON_LISTENER_HANDOVER_H_

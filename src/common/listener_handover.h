// Installs the job's seccomp filter with a notification listener and hands the listener to the
// supervisor over the sync socket, although the filter itself gives every sendmsg(2) to that
// listener (the socket fence): the sendmsg is made by a helper that is not under the filter.
#ifndef SANDBOX_COMMON_LISTENER_HANDOVER_H_
#define SANDBOX_COMMON_LISTENER_HANDOVER_H_

#include <linux/filter.h>

#include "common/record.h"

namespace sandbox {

/// Installs `program` on the calling thread with SECCOMP_FILTER_FLAG_NEW_LISTENER and sends
/// the listener, attached to `record`, over `sync_fd`; the caller keeps no copy. Returns 0, or
/// the errno of the step that failed (seccomp's own, or EPIPE when the record could not be
/// sent). *installed tells whether the filter is in place. Async-signal-safe, no allocation.
int InstallFilterAndHandOverListener(int sync_fd, const Record& record,
                                     const struct sock_fprog* program, bool* installed) noexcept;

}  // namespace sandbox

#endif  // SANDBOX_COMMON_LISTENER_HANDOVER_H_

// The supervisor's calls made for the job (the socket fence, the FIFO fence) run as the job
// would run them: without effective capabilities (a supervisor started by root has them on the
// host, and `sandbox enter` has them in the run's user namespace; the job has none, and the
// same ids otherwise, so the kernel's permission checks are the job's), and, when a file is
// named by descriptor, from the /proc whose "self" is this process (after `sandbox enter`
// joined the run's mount namespace, "/proc" is the run's).
#ifndef SANDBOX_SECCOMP_AS_THE_JOB_H_
#define SANDBOX_SECCOMP_AS_THE_JOB_H_

#include <linux/capability.h>

#include "common/unique_fd.h"

namespace sandbox::seccomp {

/// Drops the effective capabilities (and with `enter_proc`, moves to `proc_dir`) for its
/// lifetime; ok() false when that failed, and then nothing may be done for the job.
class AsTheJob {
 public:
  AsTheJob(int proc_dir, bool enter_proc);
  ~AsTheJob();
  AsTheJob(const AsTheJob&) = delete;
  AsTheJob& operator=(const AsTheJob&) = delete;
  bool ok() const { return ok_; }

 private:
  struct __user_cap_header_struct header_ = {};
  struct __user_cap_data_struct saved_[2] = {};
  bool restore_caps_ = false;
  UniqueFd cwd_;
  bool ok_ = false;
};

}  // namespace sandbox::seccomp

#endif  // SANDBOX_SECCOMP_AS_THE_JOB_H_

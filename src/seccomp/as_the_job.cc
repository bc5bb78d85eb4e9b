#include "seccomp/as_the_job.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace sandbox::seccomp {

namespace {

// Set once capget showed no permitted capability: without an exec nothing can raise the
// effective set again, so later calls (one or two per fenced call of the job) skip capget.
std::atomic<bool> g_never_privileged{false};

}  // namespace

AsTheJob::AsTheJob(int proc_dir, bool enter_proc) {
  if (!g_never_privileged.load(std::memory_order_relaxed)) {
    header_.version = _LINUX_CAPABILITY_VERSION_3;
    if (::syscall(SYS_capget, &header_, saved_) != 0) return;
    if (saved_[0].permitted == 0 && saved_[1].permitted == 0) {
      g_never_privileged.store(true, std::memory_order_relaxed);
    } else if (saved_[0].effective != 0 || saved_[1].effective != 0) {
      struct __user_cap_data_struct none[2];
      std::memcpy(none, saved_, sizeof(none));
      none[0].effective = none[1].effective = 0;
      if (::syscall(SYS_capset, &header_, none) != 0) return;
      restore_caps_ = true;
    }
  }
  if (enter_proc) {
    cwd_.Reset(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!cwd_ || ::fchdir(proc_dir) != 0) return;
  }
  ok_ = true;
}

AsTheJob::~AsTheJob() {
  // Back where the supervisor was; it opens nothing by a relative path, so a failure here
  // (the directory removed meanwhile) changes nothing it does later.
  if (cwd_ && ::fchdir(cwd_.get()) != 0) cwd_.Reset();
  if (restore_caps_) ::syscall(SYS_capset, &header_, saved_);
}

}  // namespace sandbox::seccomp

// Settings -> a ready BPF program, compiled with libseccomp in the supervisor before clone():
// the child installs the bytes with one seccomp(2) call and never links libseccomp.
#ifndef SANDBOX_SECCOMP_COMPILE_H_
#define SANDBOX_SECCOMP_COMPILE_H_

#include <linux/filter.h>

#include <vector>

#include "common/result.h"
#include "seccomp/settings.h"

namespace sandbox::seccomp {

struct Filter {
  std::vector<sock_filter> program;
  /// Some rule answers through SECCOMP_RET_USER_NOTIF: install with
  /// SECCOMP_FILTER_FLAG_NEW_LISTENER and hand the listener to the supervisor.
  bool needs_listener = false;
};

/// The default rules minus `allow`, plus `deny`, for x86_64, i386 and x32 (any other ABI is
/// killed), optimised as a binary tree over syscall numbers. Calls not named are allowed.
/// Settings without deny/allow entries take a program compiled at build time (libseccomp
/// needs about a millisecond per compilation, a sixth of a sandbox's start-up); others are
/// compiled now.
Result<Filter> Compile(const Settings& settings);

/// The same, always through libseccomp: what the build-time generator and the tests use.
Result<Filter> CompileWithLibseccomp(const Settings& settings);

}  // namespace sandbox::seccomp

#endif  // SANDBOX_SECCOMP_COMPILE_H_

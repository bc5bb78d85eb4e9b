// The supervisor's answer to a call the filter handed it (SECCOMP_RET_USER_NOTIF): fail it
// with an errno or let it continue, and whether it counts as a denial for the report.
#ifndef SANDBOX_SECCOMP_DECIDE_H_
#define SANDBOX_SECCOMP_DECIDE_H_

#include <cstdint>
#include <string_view>

#include "seccomp/settings.h"

namespace sandbox::seccomp {

struct Verdict {
  bool proceed = false;  // let the call run (SECCOMP_USER_NOTIF_FLAG_CONTINUE)
  int error = 0;         // otherwise, the errno it fails with
  bool denial = false;   // count it in the report
};

/// `syscall` is the call's name, `first_arg` its first argument. Only calls the compiled filter
/// notifies reach here, so their argument conditions already held.
Verdict Decide(const Settings& settings, std::string_view syscall, uint64_t first_arg);

}  // namespace sandbox::seccomp

#endif  // SANDBOX_SECCOMP_DECIDE_H_

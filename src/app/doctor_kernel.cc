// The doctor's kernel feature checks: seccomp filters with user notification, and Landlock.
#include <cerrno>
#include <cstring>
#include <string>

#include "app/doctor.h"

namespace sandbox::app::doctor {

CheckResult CheckSeccomp(const HostFiles& files) {
  CheckResult result;
  result.name = "seccomp";
  // seccomp(2): the actions this kernel's filters may return; absent without
  // CONFIG_SECCOMP_FILTER.
  auto actions = files.Read("/proc/sys/kernel/seccomp/actions_avail");
  if (!actions) {
    result.detail = "no /proc/sys/kernel/seccomp/actions_avail: this kernel has no seccomp filters";
    result.fix = "a kernel built with CONFIG_SECCOMP_FILTER";
    return result;
  }
  bool notify = HasWord(*actions, "user_notif");
  result.ok = notify;
  result.detail = notify ? "filters with user notification" : "filters, but no user notification";
  std::string joined;
  for (const std::string& word : Words(*actions)) joined += (joined.empty() ? "" : " ") + word;
  result.detail += " (actions: " + joined + ")";
  if (!notify) result.fix = "Linux >= 5.0 for SECCOMP_RET_USER_NOTIF";
  // A filter already around us (a container runtime's) stays in force inside the sandbox.
  std::string status = files.Read("/proc/self/status").value_or("");
  auto filters = StatusField(status, "Seccomp_filters");
  if (filters && *filters != "0") {
    result.detail += "; this process already runs under " + *filters + " filter(s)";
  }
  return result;
}

CheckResult CheckLandlock(int abi) {
  CheckResult result;
  result.name = "landlock";
  if (abi > 0) {
    result.ok = true;
    result.detail = "ABI " + std::to_string(abi);
    if (abi < 6) result.detail += " (ABI 6, Linux 6.12, adds signal and abstract socket scoping)";
    return result;
  }
  int error = -abi;
  if (error == EOPNOTSUPP) {
    result.detail = "built into the kernel but disabled at boot";
    result.fix = "add landlock to the lsm= boot parameter (see /sys/kernel/security/lsm)";
  } else {
    result.detail = std::string("not available") +
                    (error > 0 ? std::string(" (") + std::strerror(error) + ")" : "");
    result.fix = "Linux >= 5.13 built with CONFIG_SECURITY_LANDLOCK; --landlock auto runs without";
  }
  return result;
}

}  // namespace sandbox::app::doctor

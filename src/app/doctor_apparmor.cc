// The AppArmor user-namespace restriction (Ubuntu 23.10+): off, on with a profile that grants
// this binary `userns` (the package's, docs/ci.md), or on without one, with the exact fix.
#include <string>

#include "app/doctor.h"

namespace sandbox::app::doctor {
namespace {

constexpr const char* kSysctl = "/proc/sys/kernel/apparmor_restrict_unprivileged_userns";
constexpr const char* kShippedProfile = "/usr/share/sandbox/apparmor/sandbox";

// This process's AppArmor label ("sandbox (unconfined)"), from the interface newer kernels
// give AppArmor alone, else the shared one; "" when neither answers.
std::string OwnLabel(const HostFiles& files) {
  for (const char* path : {"/proc/self/attr/apparmor/current", "/proc/self/attr/current"}) {
    std::string label = files.Read(path).value_or("");
    while (!label.empty() && (label.back() == '\n' || label.back() == '\0')) label.pop_back();
    if (!label.empty()) return label;
  }
  return "";
}

bool IsOurProfile(const std::string& label) {
  for (const char* name : {"sandbox", "sandbox-bwrap"}) {
    std::string prefix = std::string(name) + " (";
    if (label == name || label.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

}  // namespace

CheckResult CheckAppArmorUserns(const HostFiles& files, const std::string& exe) {
  CheckResult result;
  result.name = "AppArmor userns restriction";
  auto restricted = files.ReadInt(kSysctl);
  if (!restricted) {
    result.ok = true;
    result.detail = "not on this kernel (no kernel.apparmor_restrict_unprivileged_userns)";
    return result;
  }
  if (*restricted == 0) {
    result.ok = true;
    result.detail = "off (kernel.apparmor_restrict_unprivileged_userns = 0)";
    return result;
  }
  // On, it stops every mount of a run: a run needs the exemption.
  result.required = true;
  std::string label = OwnLabel(files);
  if (IsOurProfile(label)) {
    result.ok = true;
    result.detail = "on; this binary runs under the AppArmor profile `" + label +
                    "`, which grants user namespaces";
    return result;
  }
  result.detail = "on (kernel.apparmor_restrict_unprivileged_userns = 1) and " + exe +
                  " runs as `" + (label.empty() ? "unknown" : label) +
                  "`: its user namespaces get no capabilities, so no mount works";
  if (exe == "/usr/bin/sandbox") {
    result.fix = std::string("sudo cp ") + kShippedProfile +
                 " /etc/apparmor.d/sandbox && sudo apparmor_parser -r /etc/apparmor.d/sandbox";
  } else {
    result.fix = "load an AppArmor profile granting `userns,` to " + exe +
                 " (docs/ci.md: printf 'abi <abi/4.0>,\\ninclude <tunables/global>\\nprofile "
                 "sandbox " +
                 exe +
                 " flags=(unconfined) {\\n  userns,\\n}\\n' | sudo tee /etc/apparmor.d/sandbox "
                 "&& sudo apparmor_parser -r /etc/apparmor.d/sandbox)";
  }
  result.fix += ", or lift the restriction for everyone: sudo sysctl -w " +
                std::string("kernel.apparmor_restrict_unprivileged_userns=0");
  return result;
}

}  // namespace sandbox::app::doctor

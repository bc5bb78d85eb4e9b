// The doctor's cgroup v2 check: what `--limit memory|pids|cpus` needs (launch/cgroup.cc): a
// cgroup2 hierarchy, the caller's own cgroup writable, and the controllers delegated to it.
#include <unistd.h>

#include <string>
#include <vector>

#include "app/doctor.h"

namespace sandbox::app::doctor {
namespace {

constexpr const char* kWanted[] = {"memory", "pids", "cpu"};
constexpr const char* kOptional = " (optional: only --limit memory, pids and cpus need it)";

std::string Join(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& w : words) text += (text.empty() ? "" : " ") + w;
  return text.empty() ? "none" : text;
}

}  // namespace

CheckResult CheckCgroupDelegation(const HostFiles& files) {
  CheckResult result;
  result.name = "cgroup v2 delegation";
  auto mount = Cgroup2MountPoint(files.Read("/proc/self/mountinfo").value_or(""));
  if (!mount) {
    result.detail = std::string("no cgroup2 filesystem is mounted") + kOptional;
    result.fix = "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2)";
    return result;
  }
  auto own = UnifiedCgroupPath(files.Read("/proc/self/cgroup").value_or(""));
  if (!own) {
    result.detail = std::string("this process is in no cgroup v2 hierarchy") + kOptional;
    result.fix = "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2)";
    return result;
  }
  std::string dir = *mount + (*own == "/" ? "" : *own);
  std::string where = dir;
  bool hybrid = *mount != "/sys/fs/cgroup";
  if (hybrid) where += " (cgroup v2 beside v1: a hybrid host)";

  bool writable = ::access(files.Path(dir).c_str(), W_OK) == 0;
  std::vector<std::string> available = Words(files.Read(dir + "/cgroup.controllers").value_or(""));
  std::vector<std::string> enabled =
      Words(files.Read(dir + "/cgroup.subtree_control").value_or(""));
  // Only the real root cgroup (the one without cgroup.type) may enable controllers while it
  // holds processes, and this process is in `dir` (cgroups(7), "no internal processes").
  bool can_enable = !files.Read(dir + "/cgroup.type").has_value();
  std::vector<std::string> usable, not_delegated, not_enabled;
  for (const char* controller : kWanted) {
    auto has = [&](const std::vector<std::string>& list) {
      for (const std::string& c : list) {
        if (c == controller) return true;
      }
      return false;
    };
    if (has(enabled) || (has(available) && can_enable)) {
      usable.emplace_back(controller);
    } else if (has(available)) {
      not_enabled.emplace_back(controller);
    } else {
      not_delegated.emplace_back(controller);
    }
  }

  result.detail = where + ": " + (writable ? "writable" : "not writable") +
                  "; controllers available: " + Join(available) +
                  "; enabled for sub-cgroups: " + Join(enabled);
  result.ok = writable && not_delegated.empty() && not_enabled.empty();
  if (result.ok) return result;
  result.detail += kOptional;
  if (hybrid && !not_delegated.empty()) {
    // The controllers sit in the v1 hierarchies; no delegation brings them to v2.
    result.fix = "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2 only)";
  } else if (!writable || !not_delegated.empty()) {
    result.fix =
        "run it in a delegated cgroup: systemd-run --user --scope -p Delegate=yes sandbox ...";
    if (!not_delegated.empty()) result.fix += " (missing: " + Join(not_delegated) + ")";
  } else {
    result.fix = "enable " + Join(not_enabled) + " in " + dir +
                 "/cgroup.subtree_control; the kernel refuses that while the cgroup holds "
                 "processes, so start sandbox from a child cgroup of it";
  }
  return result;
}

}  // namespace sandbox::app::doctor

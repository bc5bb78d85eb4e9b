// The doctor's check for subordinate ids: newuidmap/newgidmap and /etc/subuid, /etc/subgid
// entries. Optional: the sandbox maps only the caller's own ids unless asked for a range.
#include <sys/stat.h>

#include <string>

#include "app/doctor.h"

namespace sandbox::app::doctor {
namespace {

bool IsExecutable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXOTH) != 0;
}

}  // namespace

CheckResult CheckSubordinateIds(const HostFiles& files, std::string_view user, uid_t uid) {
  CheckResult result;
  result.name = "subordinate ids";
  bool tools = IsExecutable(files.Path("/usr/bin/newuidmap")) &&
               IsExecutable(files.Path("/usr/bin/newgidmap"));
  auto uids = SubordinateRange(files.Read("/etc/subuid").value_or(""), user, uid);
  auto gids = SubordinateRange(files.Read("/etc/subgid").value_or(""), user, uid);
  std::string who = std::string(user.empty() ? "uid " + std::to_string(uid) : user);
  result.detail = std::string("newuidmap/newgidmap ") + (tools ? "installed" : "not installed") +
                  "; /etc/subuid " + (uids ? who + ":" + *uids : "has no entry for " + who) +
                  "; /etc/subgid " + (gids ? who + ":" + *gids : "has no entry for " + who);
  result.ok = tools && uids && gids;
  if (result.ok) return result;
  result.detail += " (optional: only a range of ids inside needs them)";
  std::string name = user.empty() ? std::to_string(uid) : std::string(user);
  if (!tools) result.fix = "sudo apt-get install uidmap";
  if (!uids || !gids) {
    if (!result.fix.empty()) result.fix += "; ";
    result.fix += "sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " + name;
  }
  return result;
}

}  // namespace sandbox::app::doctor

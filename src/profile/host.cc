// HostContext::FromProcess: the real machine's values for ${VARS} and the search path.
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "common/passwd.h"
#include "common/user_namespace.h"
#include "profile/spec.h"

extern char** environ;

namespace sandbox::profile {

HostContext HostContext::FromProcess(const std::vector<std::string>& installed_dirs) {
  HostContext host;
  std::unique_ptr<char, decltype(&std::free)> cwd(::getcwd(nullptr, 0), &std::free);
  if (cwd) host.cwd = cwd.get();
  host.uid = ::getuid();
  host.gid = ::getgid();
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    host.env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  // $HOME wins over the passwd entry, as for the shell; the user name comes from passwd
  // (who we are), $USER only when there is no entry (a directory-service user: PasswdEntryOf
  // reads the passwd file, not NSS).
  if (auto entry = PasswdEntryOf(host.uid)) {
    host.user = std::move(entry->name);
    host.home = std::move(entry->home);
  }
  if (auto it = host.env.find("HOME"); it != host.env.end() && !it->second.empty()) {
    host.home = it->second;
  }
  if (auto it = host.env.find("USER"); it != host.env.end() && host.user.empty()) {
    host.user = it->second;
  }
  // XDG: a relative $XDG_CONFIG_HOME is invalid and ignored.
  if (auto it = host.env.find("XDG_CONFIG_HOME");
      it != host.env.end() && it->second.starts_with('/')) {
    host.search_dirs.push_back(it->second + "/sandbox/profiles");
  } else if (!host.home.empty()) {
    host.search_dirs.push_back(host.home + "/.config/sandbox/profiles");
  }
  host.search_dirs.push_back("/etc/sandbox/profiles");
  for (const auto& d : installed_dirs) {
    if (d.empty()) continue;
    host.search_dirs.push_back(d);
    host.installed_dirs.push_back(d);
  }
  host.unmapped_owner = UnmappedOwnerUid();
  return host;
}

}  // namespace sandbox::profile

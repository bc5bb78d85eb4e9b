// The caller's passwd entry, read from the passwd file itself rather than through NSS.
// The sandbox is linked statically (docs/performance.md, "Start-up, sixth look"), and glibc's
// NSS would then dlopen service modules that must match the glibc it was linked against
// (docs/design-decisions.md, "Start-up: one static binary"). Parent side only.
#ifndef SANDBOX_COMMON_PASSWD_H_
#define SANDBOX_COMMON_PASSWD_H_

#include <sys/types.h>

#include <optional>
#include <string>

namespace sandbox {

struct PasswdEntry {
  std::string name;
  std::string home;
};

/// The first entry for `uid` in `path` (passwd(5) format; lines it cannot parse are skipped),
/// or nullopt when there is none or the file cannot be read. Users known only to a directory
/// service (LDAP, sssd) have no entry here; callers fall back to $HOME and $USER.
std::optional<PasswdEntry> PasswdEntryOf(uid_t uid, const char* path = "/etc/passwd");

}  // namespace sandbox

#endif  // SANDBOX_COMMON_PASSWD_H_

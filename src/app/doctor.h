// `sandbox doctor`: checks what a run needs on this host and says, one line per check, what is
// there, what is missing and how to fix it. The checks that read files take a HostFiles so
// tests can point them at a fake root; the ones that try things do so in forked children.
#ifndef SANDBOX_APP_DOCTOR_H_
#define SANDBOX_APP_DOCTOR_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sandbox::app::doctor {

struct CheckResult {
  std::string name;  // "user namespaces"
  bool ok = false;
  bool required = false;  // a default run needs it: doctor exits 1 without it
  std::string detail;     // what was found
  std::string fix;        // how to get it, when !ok; may be ""
};

/// Reads host files below `root` ("" for the real host; a temp dir in tests).
struct HostFiles {
  std::string root;
  std::string Path(std::string_view path) const { return root + std::string(path); }
  /// The file's content, or nullopt when it cannot be read.
  std::optional<std::string> Read(std::string_view path) const;
  /// A sysctl-style file holding one integer, or nullopt when absent or not a number.
  std::optional<long long> ReadInt(std::string_view path) const;
};

/// Whitespace-separated words of `text`.
std::vector<std::string> Words(std::string_view text);
bool HasWord(std::string_view text, std::string_view word);

/// The value of a "Key:\tvalue" line of /proc/PID/status, or nullopt.
std::optional<std::string> StatusField(std::string_view status, std::string_view key);

/// The path of the "0::" (unified) line of /proc/self/cgroup, or nullopt.
std::optional<std::string> UnifiedCgroupPath(std::string_view proc_self_cgroup);
/// The mount point of the first cgroup2 filesystem in a mountinfo text, or nullopt.
std::optional<std::string> Cgroup2MountPoint(std::string_view mountinfo);

/// The "start:count" range of the first /etc/subuid (or subgid) line for `user` or `uid`.
std::optional<std::string> SubordinateRange(std::string_view file, std::string_view user,
                                            uid_t uid);

// --- checks that try things (doctor_namespaces.cc); `files` only feeds the explanations ---
CheckResult CheckUserNamespaces(const HostFiles& files);
CheckResult CheckProcMount();
CheckResult CheckOverlayfs();

/// What to tell a user whose unshare(CLONE_NEWUSER) failed with `error`, from the sysctls and
/// the process's own seccomp state under `files`.
CheckResult ExplainUserNamespaceFailure(const HostFiles& files, const std::string& step, int error);

// --- checks that read files (doctor_kernel.cc, doctor_cgroup.cc, doctor_ids.cc) ---
CheckResult CheckSeccomp(const HostFiles& files);
/// abi: landlock_create_ruleset's answer (negative: -errno).
CheckResult CheckLandlock(int abi);
CheckResult CheckCgroupDelegation(const HostFiles& files);
CheckResult CheckSubordinateIds(const HostFiles& files, std::string_view user, uid_t uid);
/// kernel.apparmor_restrict_unprivileged_userns (doctor_apparmor.cc): off, on with this
/// binary (`exe`, its real path) under an AppArmor profile of ours, or on without (the fix).
CheckResult CheckAppArmorUserns(const HostFiles& files, const std::string& exe);

// --- doctor_bwrap.cc ---
/// The first `bwrap` in `path` (PATH's text): fine when it is not sandbox, or sandbox under a
/// real name bwrap (hard link, copy); not ok when it is a symlink to sandbox, which clients that
/// resolve symlinks before exec run as `sandbox`. `own`: this binary; `dropin`: the installed
/// hard link, named when it is there. Never required.
CheckResult CheckBwrapDropIn(std::string_view path, const std::string& own,
                             const std::string& dropin);

/// Every check, in the order they are printed.
std::vector<CheckResult> RunAllChecks();

/// `sandbox doctor --json`: {"host", "sandbox_version", "ok", "checks": [{"name", "ok",
/// "required", "detail", "fix" (null when ok)}]}.
std::string FormatJson(const std::vector<CheckResult>& results, bool runs, const std::string& host);

/// "ok       name: detail" or "missing  name: detail; fix: ...".
std::string FormatLine(const CheckResult& result);

}  // namespace sandbox::app::doctor

#endif  // SANDBOX_APP_DOCTOR_H_

// policy::Build: command-line options (and later a profile) -> one validated, immutable Policy.
// Fills defaults, resolves bind sources on the host, normalises targets, builds the job's
// environment. Touches the host only through stat/realpath/fcntl.
#ifndef SANDBOX_POLICY_BUILD_H_
#define SANDBOX_POLICY_BUILD_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/options.h"
#include "common/result.h"
#include "policy/policy.h"

namespace sandbox::policy {

/// What Build needs to know about the caller; injected so tests do not depend on the machine.
struct Caller {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string cwd;
  std::vector<std::pair<std::string, std::string>> environment;  // in the caller's order
  int landlock_abi = 0;                 // the kernel's Landlock ABI, 0 if none
  uint64_t effective_capabilities = 0;  // bwrap mode: what root keeps by default
  uint64_t ram_bytes = 0;               // sysinfo(2)'s total RAM; 0: unknown
  /// --isolation auto asks (only then): can this process create a user namespace and map
  /// itself in it? nullptr: assume it can.
  bool (*user_namespaces_work)() = nullptr;
  /// --isolation landlock: how many processes the caller's real uid has now (RLIMIT_NPROC
  /// counts them all). nullptr: 0.
  uint64_t (*count_user_processes)(uid_t uid) = nullptr;

  /// The calling process's real values.
  static Caller FromProcess();
  /// What --isolation auto settles on: landlock only where no user namespace can be had. The
  /// one place that decides it (run.cc settles it before the workspace stage; Build for show).
  const char* AutoIsolation() const {
    return user_namespaces_work == nullptr || user_namespaces_work() ? "namespaces" : "landlock";
  }
};

/// The job's PATH when the caller's environment is not inherited.
inline constexpr const char* kDefaultPath =
    "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
/// HOME when not inherited: writable whenever the sandbox has a tmpfs /tmp.
inline constexpr const char* kDefaultHome = "/tmp";

/// Builds the Policy, or the first problem found, phrased for the user.
Result<Policy> Build(const cli::CliOptions& options, const Caller& caller);

/// "/a//b/./c/" -> "/a/b/c". Fails on relative paths and on ".." components (which would make
/// the sandbox's layout depend on mounts made earlier in the list).
Result<std::string> NormalizeTarget(std::string_view path);

}  // namespace sandbox::policy

#endif  // SANDBOX_POLICY_BUILD_H_

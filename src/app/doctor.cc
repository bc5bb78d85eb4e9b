// `sandbox doctor [--help]`: runs every check, prints one line each and exits 0 when a default
// run works here (user namespaces and a fresh proc), 1 otherwise.
#include "app/doctor.h"

#include <pwd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "app/subcommands.h"

namespace sandbox::app {
namespace doctor {
namespace {

constexpr const char* kUsage =
    "Usage: sandbox doctor\n"
    "\n"
    "Checks what a run needs on this host and prints one line per check: ok, or missing with\n"
    "the fix. Exits 0 when a default run works here (user namespaces and a fresh proc), else 1.\n";

// landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION): the ABI, or -errno.
int LandlockAbiOrError() {
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, 1U << 0);
  return abi < 0 ? -errno : static_cast<int>(abi);
}

std::string UserName(uid_t uid) {
  struct passwd entry;
  struct passwd* found = nullptr;
  char buffer[4096];
  if (::getpwuid_r(uid, &entry, buffer, sizeof(buffer), &found) != 0 || found == nullptr) {
    return "";
  }
  return found->pw_name;
}

// The running binary, and the drop-in installed beside it (<prefix>/bin/sandbox finds
// <prefix>/libexec/sandbox/bwrap-compat/bwrap).
std::string OwnExecutable() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

CheckResult CheckOwnBwrapDropIn() {
  std::string own = OwnExecutable();
  std::string dropin = own.substr(0, own.rfind('/') + 1) + SANDBOX_BWRAP_FROM_BIN;
  const char* path = std::getenv("PATH");
  return CheckBwrapDropIn(path != nullptr ? path : "", own, dropin);
}

}  // namespace

std::vector<CheckResult> RunAllChecks() {
  HostFiles host;
  uid_t uid = ::getuid();
  return {
      CheckUserNamespaces(host),
      CheckProcMount(),
      CheckSeccomp(host),
      CheckLandlock(LandlockAbiOrError()),
      CheckCgroupDelegation(host),
      CheckOverlayfs(),
      CheckSubordinateIds(host, UserName(uid), uid),
      CheckOwnBwrapDropIn(),
  };
}

std::string FormatLine(const CheckResult& result) {
  std::string line = result.ok ? "ok       " : "missing  ";
  line += result.name + ": " + result.detail;
  if (!result.ok && !result.fix.empty()) line += "; fix: " + result.fix;
  return line;
}

}  // namespace doctor

int DoctorMain(int argc, char** argv, const launch::ProcessImage& /*image*/) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      (void)std::fputs(doctor::kUsage, stdout);
      return 0;
    }
    (void)std::fprintf(stderr,
                       "sandbox: doctor takes no arguments (got %s); see sandbox doctor --help\n",
                       argv[i]);
    return 2;
  }
  (void)std::fflush(nullptr);  // the checks fork
  bool runs = true;
  for (const doctor::CheckResult& result : doctor::RunAllChecks()) {
    (void)std::printf("%s\n", doctor::FormatLine(result).c_str());
    if (result.required && !result.ok) runs = false;
  }
  (void)std::printf("%s\n",
                    runs ? "sandbox doctor: a default run works here"
                         : "sandbox doctor: a default run cannot work here; fix the lines "
                           "marked missing above that it needs (user namespaces, mount proc)");
  return runs ? 0 : 1;
}

}  // namespace sandbox::app

// `sandbox doctor [--help]`: runs every check, prints one line each and exits 0 when a default
// run works here (user namespaces and a fresh proc), 1 otherwise.
#include "app/doctor.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "app/subcommands.h"
#include "common/passwd.h"
#include "report/json_writer.h"

namespace sandbox::app {
namespace doctor {
namespace {

constexpr const char* kUsage =
    "Usage: sandbox doctor [--json]\n"
    "\n"
    "Checks what a run needs on this host and prints one line per check: ok, or missing with\n"
    "the fix. Exits 0 when a default run works here (user namespaces and a fresh proc), else 1.\n"
    "\n"
    "  --json  the same as one JSON document (host, ok, checks: name, ok, required, detail,\n"
    "          fix), for a CI master or `srun -N<nodes> sandbox doctor --json`\n";

// landlock_create_ruleset(NULL, 0, LANDLOCK_CREATE_RULESET_VERSION): the ABI, or -errno.
int LandlockAbiOrError() {
  long abi = ::syscall(SYS_landlock_create_ruleset, nullptr, 0, 1U << 0);
  return abi < 0 ? -errno : static_cast<int>(abi);
}

// As for ${USER}: the passwd file's name, else $USER (a directory-service user).
std::string UserName(uid_t uid) {
  if (auto entry = PasswdEntryOf(uid)) return entry->name;
  const char* user = std::getenv("USER");
  return user != nullptr ? user : "";
}

// The running binary (AppArmor attaches profiles to its real path), and the drop-in installed
// beside it (<prefix>/bin/sandbox finds <prefix>/libexec/sandbox/bwrap-compat/bwrap).
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
      CheckAppArmorUserns(host, OwnExecutable()),
      CheckProcMount(),
      CheckSeccomp(host),
      CheckLandlock(LandlockAbiOrError()),
      CheckCgroupDelegation(host),
      CheckOverlayfs(),
      CheckSubordinateIds(host, UserName(uid), uid),
      CheckOwnBwrapDropIn(),
  };
}

std::string FormatJson(const std::vector<CheckResult>& results, bool runs,
                       const std::string& host) {
  report::JsonWriter json;
  json.BeginObject();
  json.Key("host").String(host);
  json.Key("sandbox_version").String(SANDBOX_VERSION);
  json.Key("ok").Bool(runs);
  json.Key("checks").BeginArray();
  for (const CheckResult& result : results) {
    json.BeginObject();
    json.Key("name").String(result.name);
    json.Key("ok").Bool(result.ok);
    json.Key("required").Bool(result.required);
    json.Key("detail").String(result.detail);
    json.Key("fix").StringOrNull(result.ok ? "" : result.fix);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
  return json.Finish();
}

std::string FormatLine(const CheckResult& result) {
  std::string line = result.ok ? "ok       " : "missing  ";
  line += result.name + ": " + result.detail;
  if (!result.ok && !result.fix.empty()) line += "; fix: " + result.fix;
  return line;
}

}  // namespace doctor

int DoctorMain(int argc, char** argv, const launch::ProcessImage& /*image*/) {
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "-h") == 0 || std::strcmp(argv[i], "--help") == 0) {
      (void)std::fputs(doctor::kUsage, stdout);
      return 0;
    }
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
      continue;
    }
    (void)std::fprintf(
        stderr, "sandbox: doctor takes only --json (got %s); see sandbox doctor --help\n", argv[i]);
    return 2;
  }
  (void)std::fflush(nullptr);  // the checks fork
  std::vector<doctor::CheckResult> results = doctor::RunAllChecks();
  bool runs = std::none_of(results.begin(), results.end(),
                           [](const doctor::CheckResult& r) { return r.required && !r.ok; });
  if (json) {
    char host[256] = {};
    (void)::gethostname(host, sizeof(host) - 1);
    (void)std::fputs(doctor::FormatJson(results, runs, host).c_str(), stdout);
    return runs ? 0 : 1;
  }
  for (const doctor::CheckResult& result : results) {
    (void)std::printf("%s\n", doctor::FormatLine(result).c_str());
  }
  (void)std::printf("%s\n",
                    runs ? "sandbox doctor: a default run works here"
                         : "sandbox doctor: a default run cannot work here; fix the lines "
                           "marked missing above that it needs (user namespaces, mount proc)");
  return runs ? 0 : 1;
}

}  // namespace sandbox::app

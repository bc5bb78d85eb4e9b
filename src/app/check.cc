// `sandbox check PROFILE...`: load, merge and validate each profile as a run would, print every
// error, exit 0 when all are valid and 125 otherwise.
#include <cstdio>
#include <cstring>
#include <string>

#include "app/profiles.h"
#include "app/subcommands.h"
#include "common/exit_status.h"
#include "policy/build.h"
#include "policy/from_profile.h"

namespace sandbox::app {
namespace {

constexpr const char* kCheckUsage =
    "usage: sandbox check PROFILE...\n"
    "Validates each profile (by name or path) as a run would: syntax, keys, types, variables,\n"
    "extends, and that every non-optional bind source exists. Exit 0 if all are valid, else "
    "125.\n";

// The errors a run with this profile would stop on, in file order.
std::vector<Error> CheckOne(const std::string& name) {
  profile::LoadResult loaded = LoadProfile(name);
  if (!loaded.ok()) return loaded.errors;
  cli::CliOptions flags;
  flags.command = {"true"};
  policy::Caller caller = policy::Caller::FromProcess();
  auto combined = policy::CombineWithProfile(loaded.spec, flags, caller);
  if (!combined) return {combined.error()};
  auto built = policy::Build(*combined, caller);
  if (!built) return {built.error()};
  return {};
}

}  // namespace

int CheckMain(int argc, char** argv, const launch::ProcessImage&) {
  if (argc < 2) {
    std::fputs(kCheckUsage, stderr);
    return kExitSandboxFailure;
  }
  if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kCheckUsage, stdout);
    return 0;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<Error> errors = CheckOne(argv[i]);
    if (errors.empty()) {
      std::printf("%s: ok\n", argv[i]);
      continue;
    }
    status = kExitSandboxFailure;
    for (const Error& e : errors) std::fprintf(stderr, "sandbox: %s\n", e.ToString().c_str());
  }
  return status;
}

}  // namespace sandbox::app

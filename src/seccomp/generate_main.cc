// Build-time generator: compiles the default filter for each action with libseccomp and writes
// them as C++ arrays, so a run with default settings does not pay for libseccomp.
// usage: sandbox_seccomp_generate OUTPUT_HEADER
#include <cstdio>
#include <string>

#include "common/filter_header.h"
#include "seccomp/compile.h"

namespace {

constexpr const char* kGenerator = "sandbox_seccomp_generate";

bool Emit(std::FILE* out, const char* name, sandbox::seccomp::Action action) {
  sandbox::seccomp::Settings settings;
  settings.action = action;
  auto filter = sandbox::seccomp::CompileWithLibseccomp(settings);
  if (!filter) {
    std::fprintf(stderr, "%s: %s\n", kGenerator, filter.error().ToString().c_str());
    return false;
  }
  sandbox::WriteFilterArray(out, ("k" + std::string(name) + "Program").c_str(), filter->program);
  std::fprintf(out, "inline constexpr bool k%sListener = %s;\n\n", name,
               filter->needs_listener ? "true" : "false");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_HEADER\n", kGenerator);
    return 2;
  }
  return sandbox::WriteFilterHeader(argv[1], kGenerator, "src/seccomp/rules.cc",
                                    "SANDBOX_SECCOMP_DEFAULT_FILTERS_H_",
                                    "sandbox::seccomp::generated", [](std::FILE* out) {
                                      return Emit(out, "Errno", sandbox::seccomp::Action::kErrno) &&
                                             Emit(out, "Kill", sandbox::seccomp::Action::kKill) &&
                                             Emit(out, "Log", sandbox::seccomp::Action::kLog);
                                    });
}

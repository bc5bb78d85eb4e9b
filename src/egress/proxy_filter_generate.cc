// Build-time generator: compiles the egress proxy's seccomp filter with libseccomp
// (proxy_filter.cc) and writes it as a C++ array, which the proxy installs with seccomp(2).
// usage: sandbox_egress_filter_generate OUTPUT_HEADER
#include <cstdio>

#include "common/filter_header.h"
#include "egress/proxy_filter.h"

int main(int argc, char** argv) {
  constexpr const char* kGenerator = "sandbox_egress_filter_generate";
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_HEADER\n", kGenerator);
    return 2;
  }
  auto program = sandbox::egress::CompileProxyFilter();
  if (!program) {
    std::fprintf(stderr, "%s: %s\n", kGenerator, program.error().ToString().c_str());
    return 1;
  }
  return sandbox::WriteFilterHeader(argv[1], kGenerator, "src/egress/proxy_filter.cc",
                                    "SANDBOX_EGRESS_PROXY_FILTER_PROGRAM_H_",
                                    "sandbox::egress::generated", [&program](std::FILE* out) {
                                      sandbox::WriteFilterArray(out, "kProxyFilter", *program);
                                      return true;
                                    });
}

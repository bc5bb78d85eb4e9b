// The build-time generators' output (seccomp/generate_main.cc, egress/proxy_filter_generate.cc):
// a header of BPF programs as sock_filter arrays, written to a temporary file and renamed into
// place, so that an interrupted build never leaves half a header for the next one to compile.
#ifndef SANDBOX_COMMON_FILTER_HEADER_H_
#define SANDBOX_COMMON_FILTER_HEADER_H_

#include <linux/filter.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace sandbox {

/// `inline constexpr sock_filter NAME[] = {...};`
void WriteFilterArray(std::FILE* out, const char* name, const std::vector<sock_filter>& program);

/// Writes `path`: a note naming `generator` and `source`, an include guard, <linux/filter.h>,
/// then whatever `body` writes inside namespace `ns`. Returns the exit status for main():
/// 0, or 1 (said on stderr) when the file cannot be written or `body` returns false.
int WriteFilterHeader(const std::string& path, const char* generator, const char* source,
                      const char* guard, const char* ns,
                      const std::function<bool(std::FILE*)>& body);

}  // namespace sandbox

#endif  // SANDBOX_COMMON_FILTER_HEADER_H_

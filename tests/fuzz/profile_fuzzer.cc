// libFuzzer target for the profile parser: arbitrary bytes -> profile::Parse, with a fixed
// HostContext and no I/O. Every error must carry a location and render; nothing may throw
// or crash. Seeds: tests/fuzz/corpus/profile/ and profiles/*.toml.
//
// Build (clang, SANDBOX_BUILD_FUZZERS): link sandbox_profile and -fsanitize=fuzzer. For
// coverage inside toml++ itself, compile src/profile/*.cc into the target with
// -DTOML_HEADER_ONLY=1 instead of linking Debian's uninstrumented libtomlplusplus.so.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "profile/merge.h"
#include "profile/parse.h"

namespace {

const sandbox::profile::HostContext& FuzzHost() {
  static const sandbox::profile::HostContext host = [] {
    sandbox::profile::HostContext h;
    h.cwd = "/work/project";
    h.home = "/home/fuzz";
    h.user = "fuzz";
    h.uid = 1000;
    h.gid = 1000;
    h.env = {{"TOKEN", "secret"}, {"EMPTY", ""}};
    return h;
  }();
  return host;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sandbox::profile;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseResult result = Parse(text, "/fuzz/profile.toml", FuzzHost());
  for (const sandbox::Error& e : result.errors) {
    // Parse promises a location on every error of a file it could read.
    if (!e.where || e.where->file != "/fuzz/profile.toml") std::abort();
    if (FormatProfileError(e).empty()) std::abort();
  }
  if (result.ok()) {
    // A valid profile merged over itself stays well-formed.
    ProfileSpec twice = result.spec;
    MergeInto(twice, result.spec);
    if (twice.mounts.size() != 2 * result.spec.mounts.size()) std::abort();
    for (const MountSpec& m : result.spec.mounts) {
      if (m.target.value.empty() || m.target.value[0] != '/') std::abort();
    }
  }
  return 0;
}

#include "app/profiles.h"

#include <unistd.h>

#include <climits>

#ifndef SANDBOX_PROFILES_FROM_BIN
#define SANDBOX_PROFILES_FROM_BIN "../share/sandbox/profiles"
#endif
#ifndef SANDBOX_BUILD_DIR
#define SANDBOX_BUILD_DIR ""
#endif
#ifndef SANDBOX_SOURCE_PROFILES
#define SANDBOX_SOURCE_PROFILES ""
#endif

namespace sandbox::app {
namespace {

// The running binary's own path; "" when /proc is not there to say.
std::string OwnExecutable() {
  char buf[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

}  // namespace

std::vector<std::string> InstalledProfileDirs(const std::string& executable) {
  std::vector<std::string> dirs;
  size_t slash = executable.rfind('/');
  if (slash == std::string::npos) return dirs;
  // <prefix>/bin/sandbox finds <prefix>/share/sandbox/profiles wherever the prefix is.
  dirs.push_back(executable.substr(0, slash + 1) + SANDBOX_PROFILES_FROM_BIN);
  // The source tree's profiles/ only for the binary of the build tree made from it, so a
  // build directory that is gone (and recreated by someone else) is never searched.
  const std::string build_dir = SANDBOX_BUILD_DIR;
  if (!build_dir.empty() && executable.starts_with(build_dir + "/") &&
      std::string(SANDBOX_SOURCE_PROFILES).size() > 0) {
    dirs.push_back(SANDBOX_SOURCE_PROFILES);
  }
  return dirs;
}

profile::HostContext ProfileHost() {
  return profile::HostContext::FromProcess(InstalledProfileDirs(OwnExecutable()));
}

profile::LoadResult LoadProfile(const std::string& name_or_path) {
  return profile::Load(name_or_path, ProfileHost());
}

profile::LoadResult LoadProfiles(const std::vector<std::string>& names_or_paths) {
  return profile::LoadAll(names_or_paths, ProfileHost());
}

}  // namespace sandbox::app

// Loading the profile a command names, with the search path this installation uses.
#ifndef SANDBOX_APP_PROFILES_H_
#define SANDBOX_APP_PROFILES_H_

#include <string>
#include <vector>

#include "common/result.h"
#include "profile/load.h"

namespace sandbox::app {

/// The installed profiles for the binary at `executable`: <prefix>/share/sandbox/profiles
/// beside its <prefix>/bin, then, only when `executable` lies in the build tree this binary
/// was built in, that source tree's profiles/ (so a fresh checkout works before install).
std::vector<std::string> InstalledProfileDirs(const std::string& executable);

/// $XDG_CONFIG_HOME/sandbox/profiles, /etc/sandbox/profiles, then InstalledProfileDirs of the
/// running binary.
profile::HostContext ProfileHost();

/// Loads `name_or_path` with ProfileHost(); all errors of all files in the result.
profile::LoadResult LoadProfile(const std::string& name_or_path);

/// Loads and composes `names_or_paths` (profile::LoadAll) with ProfileHost().
profile::LoadResult LoadProfiles(const std::vector<std::string>& names_or_paths);

}  // namespace sandbox::app

#endif  // SANDBOX_APP_PROFILES_H_

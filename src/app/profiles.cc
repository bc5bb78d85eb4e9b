#include "app/profiles.h"

#ifndef SANDBOX_DATADIR
#define SANDBOX_DATADIR "/usr/local/share/sandbox"
#endif
#ifndef SANDBOX_SOURCE_PROFILES
#define SANDBOX_SOURCE_PROFILES ""
#endif

namespace sandbox::app {

profile::HostContext ProfileHost() {
  std::vector<std::string> installed = {SANDBOX_DATADIR "/profiles"};
  if (std::string(SANDBOX_SOURCE_PROFILES).size() > 0) installed.push_back(SANDBOX_SOURCE_PROFILES);
  return profile::HostContext::FromProcess(installed);
}

profile::LoadResult LoadProfile(const std::string& name_or_path) {
  return profile::Load(name_or_path, ProfileHost());
}

}  // namespace sandbox::app

#include "launch/user_limits.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace sandbox::launch {

uint64_t JobShareOf(uint64_t caller_limit) { return caller_limit / 2; }

Result<std::vector<UserLimit>> ReadUserLimits(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return MakeError("cannot read " + dir, errno);
  std::vector<UserLimit> limits;
  while (const struct dirent* entry = ::readdir(d)) {
    std::string name = entry->d_name;
    if (name.rfind("max_", 0) == 0) limits.push_back({name, 0});
  }
  ::closedir(d);
  std::sort(limits.begin(), limits.end(),
            [](const UserLimit& a, const UserLimit& b) { return a.name < b.name; });
  for (UserLimit& limit : limits) {
    std::string path = dir + "/" + limit.name;
    FILE* f = std::fopen(path.c_str(), "re");
    unsigned long long value = 0;
    bool ok = f != nullptr && std::fscanf(f, "%llu", &value) == 1;
    int err = errno;
    if (f != nullptr) std::fclose(f);
    if (!ok) return MakeError("cannot read " + path, err);
    limit.value = JobShareOf(value);
  }
  if (limits.empty()) return MakeError(dir + " has no max_* limits to share");
  return limits;
}

}  // namespace sandbox::launch

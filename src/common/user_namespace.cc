#include "common/user_namespace.h"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <sstream>
#include <string>

#include "common/read_text.h"

namespace sandbox {

std::optional<uid_t> OutsideUid(uid_t uid, std::string_view uid_map) {
  std::istringstream lines{std::string(uid_map)};
  uint64_t inside = 0, outside = 0, count = 0;
  while (lines >> inside >> outside >> count) {
    if (uid >= inside && uid - inside < count) return static_cast<uid_t>(outside + (uid - inside));
  }
  return std::nullopt;
}

std::optional<ino_t> OwnUserNamespace() {
  struct stat ns;
  if (::stat("/proc/self/ns/user", &ns) != 0 || ns.st_ino == kInitialUserNamespaceInode) {
    return std::nullopt;
  }
  return ns.st_ino;
}

std::string ReadOwnUidMap() { return ReadTextFile("/proc/self/uid_map"); }

std::optional<uid_t> UnmappedOwnerUid() {
  if (!OwnUserNamespace()) return std::nullopt;
  std::string text = ReadTextFile("/proc/sys/kernel/overflowuid");
  uid_t overflow = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), overflow);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  if (OutsideUid(overflow, ReadOwnUidMap())) return std::nullopt;
  return overflow;
}

}  // namespace sandbox

#include "common/passwd.h"

#include <pwd.h>
#include <stdio.h>

#include <cerrno>
#include <vector>

namespace sandbox {

std::optional<PasswdEntry> PasswdEntryOf(uid_t uid, const char* path) {
  FILE* file = ::fopen(path, "re");
  if (file == nullptr) return std::nullopt;
  // fgetpwent_r parses passwd(5) lines without NSS; it reports ERANGE for an entry longer than
  // the buffer (the stream stays on that line, so a larger buffer retries the same entry).
  std::vector<char> buffer(1024);
  std::optional<PasswdEntry> result;
  for (;;) {
    struct passwd entry {};
    struct passwd* found = nullptr;
    int error = ::fgetpwent_r(file, &entry, buffer.data(), buffer.size(), &found);
    if (error == ERANGE && buffer.size() < (1U << 20)) {
      buffer.resize(buffer.size() * 4);
      continue;
    }
    if (error != 0 || found == nullptr) break;
    if (found->pw_uid == uid) {
      result = PasswdEntry{found->pw_name, found->pw_dir};
      break;
    }
  }
  ::fclose(file);
  return result;
}

}  // namespace sandbox

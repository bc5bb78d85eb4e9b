// The file-reading and parsing helpers the doctor's checks share.
#include <fstream>
#include <sstream>

#include "app/doctor.h"

namespace sandbox::app::doctor {

std::optional<std::string> HostFiles::Read(std::string_view path) const {
  std::ifstream in(Path(path), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return content.str();
}

std::optional<long long> HostFiles::ReadInt(std::string_view path) const {
  auto text = Read(path);
  if (!text) return std::nullopt;
  std::vector<std::string> words = Words(*text);
  if (words.size() != 1) return std::nullopt;
  try {
    size_t used = 0;
    long long value = std::stoll(words[0], &used);
    if (used != words[0].size()) return std::nullopt;
    return value;
  } catch (...) {
    return std::nullopt;
  }
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

bool HasWord(std::string_view text, std::string_view word) {
  for (const std::string& w : Words(text)) {
    if (w == word) return true;
  }
  return false;
}

std::optional<std::string> StatusField(std::string_view status, std::string_view key) {
  std::istringstream lines{std::string(status)};
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > key.size() && line.compare(0, key.size(), key) == 0 &&
        line[key.size()] == ':') {
      std::vector<std::string> words = Words(std::string_view(line).substr(key.size() + 1));
      return words.empty() ? std::string() : words[0];
    }
  }
  return std::nullopt;
}

std::optional<std::string> UnifiedCgroupPath(std::string_view proc_self_cgroup) {
  std::istringstream lines{std::string(proc_self_cgroup)};
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("0::", 0) == 0 && line.size() > 3) return line.substr(3);
  }
  return std::nullopt;
}

std::optional<std::string> Cgroup2MountPoint(std::string_view mountinfo) {
  // id parent major:minor root mount-point options [optional...] - fstype source super-options
  std::istringstream lines{std::string(mountinfo)};
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> fields = Words(line);
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (dash < 5 || dash + 1 >= fields.size()) continue;
    if (fields[dash + 1] == "cgroup2") return fields[4];
  }
  return std::nullopt;
}

std::optional<std::string> SubordinateRange(std::string_view file, std::string_view user,
                                            uid_t uid) {
  // subuid(5): one "owner:start:count" per line, the owner by name or by number.
  std::istringstream lines{std::string(file)};
  const std::string uid_text = std::to_string(uid);
  for (std::string line; std::getline(lines, line);) {
    size_t first = line.find(':');
    if (first == std::string::npos || line.empty() || line[0] == '#') continue;
    std::string owner = line.substr(0, first);
    if (owner != user && owner != uid_text) continue;
    std::string range = line.substr(first + 1);
    size_t colon = range.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= range.size()) continue;
    return range;
  }
  return std::nullopt;
}

}  // namespace sandbox::app::doctor

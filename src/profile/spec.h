// ProfileSpec: a profile as written (after `extends` and ${VARS} are resolved), every value
// with the file:line:col it came from. policy::Build turns it into a Policy.
#ifndef SANDBOX_PROFILE_SPEC_H_
#define SANDBOX_PROFILE_SPEC_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/mount_kind.h"
#include "common/result.h"

namespace sandbox::profile {

template <typename T>
struct Located {
  T value{};
  SourceLocation where;
};

struct MountSpec {
  MountKind kind = MountKind::kBind;
  SourceLocation where;  // the `type` key of this [[mount]]
  std::optional<Located<std::string>> source;
  Located<std::string> target;
  bool optional = false;
  std::optional<uint64_t> size_bytes;
  std::optional<unsigned> mode;
  std::string content;
};

struct EnvSpec {
  std::optional<Located<bool>> clear;
  std::vector<Located<std::string>> pass;
  std::vector<std::pair<std::string, Located<std::string>>> set;  // in file order
  std::vector<Located<std::string>> unset;
};

struct ProfileSpec {
  std::string name;  // as asked for ("cc" or a path)
  std::string path;  // the file found
  std::vector<std::string> chain;  // files in extends order, base first

  std::optional<Located<std::string>> hostname;
  std::optional<Located<std::string>> network;  // "none" | "host"
  std::optional<Located<std::string>> cwd;
  std::optional<Located<int64_t>> uid;
  std::optional<Located<int64_t>> gid;
  std::optional<Located<std::string>> landlock;  // "auto" | "on" | "off"
  EnvSpec env;
  std::vector<MountSpec> mounts;
  /// [limits]: timeout, timeout_grace, nofile, nproc, fsize, cpu, core, stack, as, memory, pids,
  /// cpus, as their text, in file order; later entries override earlier ones.
  std::vector<std::pair<std::string, Located<std::string>>> limits;
};

/// What ${VARS} and profile lookup need from the host; injected so tests are machine-free.
struct HostContext {
  std::string cwd;
  std::string home;
  std::string user;
  unsigned uid = 0;
  unsigned gid = 0;
  std::map<std::string, std::string> env;
  /// Directories searched for a profile given by name, in order.
  std::vector<std::string> search_dirs;

  /// The calling process's values, searching $XDG_CONFIG_HOME/sandbox/profiles (or
  /// ~/.config/...), /etc/sandbox/profiles, then `installed_dirs`.
  static HostContext FromProcess(const std::vector<std::string>& installed_dirs);
};

}  // namespace sandbox::profile

#endif  // SANDBOX_PROFILE_SPEC_H_

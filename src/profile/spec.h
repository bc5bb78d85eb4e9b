// ProfileSpec: a profile as written (after `extends` and ${VARS} are resolved), every value
// with the file:line:col it came from, and HostContext, what resolving it needs from the host.
// policy::CombineWithProfile turns a ProfileSpec into options; docs/profiles.md is the schema.
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

/// A value and the place in a profile it was written (the start of the value, not its key).
template <typename T>
struct Located {
  T value{};
  SourceLocation where;
};

/// One [[mount]] entry. Only well-formed entries reach a ProfileSpec: the keys present are
/// those that apply to `kind`, and the keys the kind needs are there. A `*_where` with
/// line 0 means the key was not written.
struct MountSpec {
  MountKind kind = MountKind::kBind;  // never kRemountReadOnly: profiles cannot name it
  SourceLocation where;               // the `type` value of this entry
  SourceLocation table_where;         // the [[mount]] header (or an inline table's `{`)
  /// Binds: an absolute host path. Symlink: the link's text, any non-empty string.
  std::optional<Located<std::string>> source;
  /// Absolute. A bind written without `target` gets a copy of `source` (same location).
  Located<std::string> target;
  bool optional = false;  // binds only: a missing source skips the mount
  SourceLocation optional_where;
  std::optional<uint64_t> size_bytes;  // tmpfs only; > 0
  SourceLocation size_where;
  std::optional<unsigned> mode;  // tmpfs, dir, file; <= 07777
  SourceLocation mode_where;
  std::string content;  // file only; "" when not written
  SourceLocation content_where;
  bool socket = false;  // type = "socket": kind kReadOnlyBind, and the job may connect to it
};

/// [env]. After Load, a variable name appears in at most one of pass, deny, set and unset
/// (the most derived profile that names it decides), so the order they are applied in does
/// not matter. pass and deny take `*`/`?` patterns too; set and unset take names only.
struct EnvSpec {
  std::optional<Located<bool>> clear;                             // unset means the default, true
  std::vector<Located<std::string>> pass;                         // names and patterns, in order
  std::vector<Located<std::string>> deny;                         // patterns, in order
  std::vector<std::pair<std::string, Located<std::string>>> set;  // name -> value, in order
  std::vector<Located<std::string>> unset;                        // names, in order
};

/// [workspace]: the project the job works on (docs/workspace.md). Lists hold paths relative
/// to the workspace's top level.
struct WorkspaceSpec {
  std::optional<Located<std::string>> mode;     // "bind" | "none"
  std::optional<Located<std::string>> vcs;      // "ro" | "rw": VCS metadata inside
  std::vector<Located<std::string>> protect;    // read-only inside, besides the defaults
  std::vector<Located<std::string>> unprotect;  // defaults left writable
};

/// One [[cache]]: a directory kept between sandboxed runs under the sandbox's own cache
/// directory, never the host's unless `share` says so (docs/workspace.md, "Caches").
struct CacheSpec {
  Located<std::string> name;                  // [A-Za-z0-9._-], not starting with "."
  Located<std::string> target;                // absolute, inside the sandbox
  std::optional<Located<std::string>> host;   // the host user's own cache of the same kind
  std::optional<Located<std::string>> share;  // "sandbox" | "host" | "run"
};

struct ProfileSpec {
  std::string name;  // as asked for ("cc" or a path); the file name for ParseString
  /// Every profile asked for, in order (several when composed: --profile ci --profile node).
  std::vector<std::string> names;
  std::string path;  // the file read (for Load, the most derived one)
  /// Every file merged into this spec, the root of the `extends` chain first, `path` last.
  std::vector<std::string> chain;
  /// `extends` of `path` as written. Load has already followed it; `chain` says where to.
  std::optional<Located<std::string>> extends;

  std::optional<Located<std::string>> hostname;   // 1 to 64 characters
  std::optional<Located<std::string>> network;    // "none" | "host"
  std::optional<Located<std::string>> cwd;        // absolute
  std::optional<Located<int64_t>> uid;            // 0 .. 4294967294
  std::optional<Located<int64_t>> gid;            // 0 .. 4294967294
  std::optional<Located<std::string>> landlock;   // "auto" | "on" | "off"
  std::optional<Located<std::string>> proc;       // "fresh" | "host"
  std::optional<Located<std::string>> isolation;  // "namespaces" | "landlock" | "auto"
  EnvSpec env;
  std::vector<MountSpec> mounts;  // in order; the root of the chain's first
  WorkspaceSpec workspace;
  std::vector<CacheSpec> caches;  // in order; a derived profile's cache replaces its namesake
  /// [limits] as text, in file order (the base's first after a merge); policy::Build parses
  /// them with the --limit code and a later entry for the same name wins.
  std::vector<std::pair<std::string, Located<std::string>>> limits;
  /// [seccomp]. After a merge, a name is in at most one of deny and allow (the most derived
  /// profile that names it decides).
  struct Seccomp {
    std::optional<Located<std::string>> policy;  // "default" | "none"
    std::optional<Located<std::string>> action;  // "errno" | "kill" | "log"
    std::vector<Located<std::string>> deny;      // syscall names, checked by policy::Build
    std::vector<Located<std::string>> allow;
  };
  Seccomp seccomp;
  /// [network]: the egress allow-list (docs/network.md), as written; a derived profile's
  /// entries follow its base's.
  struct Network {
    std::vector<Located<std::string>> allow;    // "HOST[:PORT]"
    std::vector<Located<std::string>> resolve;  // "HOST:ADDR"
  };
  Network network_rules;
};

/// What ${VARS} and profile lookup need from the host; injected so tests are machine-free.
struct HostContext {
  std::string cwd;                         // ${PWD}; also the base of a relative profile path
  std::string home;                        // ${HOME}
  std::string user;                        // ${USER}
  unsigned uid = 0;                        // ${UID}: the caller's id on the host, not the id inside
  unsigned gid = 0;                        // ${GID}
  std::map<std::string, std::string> env;  // ${env:NAME}
  /// Directories searched, in order, for a profile given by name (`<dir>/<name>.toml`).
  std::vector<std::string> search_dirs;
  /// The installation's own profile directories (beside the binary; the last of search_dirs).
  std::vector<std::string> installed_dirs;
  /// Inside a user namespace that does not map them, the uid every file of an owner outside it
  /// shows (the host's root's among them): UnmappedOwnerUid(). nullopt in the host's.
  std::optional<unsigned> unmapped_owner;

  /// The calling process's values. search_dirs: $XDG_CONFIG_HOME/sandbox/profiles (or
  /// $HOME/.config/sandbox/profiles), /etc/sandbox/profiles, then `installed_dirs` in order.
  /// Never fails: what cannot be found stays empty (and ${VAR}s naming it are errors).
  static HostContext FromProcess(const std::vector<std::string>& installed_dirs);
};

}  // namespace sandbox::profile

#endif  // SANDBOX_PROFILE_SPEC_H_

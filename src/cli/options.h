// CliOptions: the command line exactly as the user wrote it, in order, before any validation
// against the host. policy::Build turns it into a Policy.
#ifndef SANDBOX_CLI_OPTIONS_H_
#define SANDBOX_CLI_OPTIONS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/mount_kind.h"
#include "common/result.h"

namespace sandbox::cli {

/// One filesystem flag, e.g. `--ro-bind /usr /usr`; `flag` is that text, so messages can
/// quote what the user wrote.
struct MountRequest {
  MountKind kind = MountKind::kBind;
  std::string source;  // binds: host path; symlink: link text; empty otherwise
  std::string target;
  bool optional = false;               // the -try forms
  std::optional<uint64_t> size_bytes;  // from a preceding --size (tmpfs)
  std::optional<unsigned> mode;        // from a preceding --perms (tmpfs, dir)
  std::string content;                 // file (profiles), bind-data
  std::string flag;
  // Overlays: host layers bottom to top; --overlay's upper dir and workdir (host paths).
  std::vector<std::string> layers;
  std::string upper;
  std::string work;
  bool recursive = true;  // remount-ro: bubblewrap's --remount-ro acts on one mount only
  // bwrap: missing parents are created with this mode (bubblewrap narrows 0755 to what the
  // --perms of the operation lets the group and others reach).
  std::optional<unsigned> parent_mode;
  // bwrap --bind-fd: the caller's descriptor whose path `source` is; the mount made from that
  // path must be this descriptor's file (checked in the sandbox after mounting). -1 otherwise.
  int source_fd = -1;
  // --bind-socket, type = "socket": a read-only bind of one unix socket, which the job may
  // connect and send to (the socket fence refuses every other socket on a read-only mount).
  bool socket = false;
  // The workspace's overlay (--workspace overlay): a kTmpOverlay whose upper layer is a tmpfs
  // of its own, bounded like the job's tmpfs mounts, handed to the supervisor for the change
  // list.
  bool capture_changes = false;
};

/// One environment flag; applied in command-line order after the base environment.
/// kPass (--pass-env): `name` is a name or pattern of the caller's variables to let in.
struct EnvRequest {
  enum class Op { kSet, kUnset, kClear, kPass };
  Op op = Op::kSet;
  std::string name;
  std::string value;
};

/// The workspace (docs/workspace.md): the project the job works on, bound read-write at its
/// own path with its VCS metadata and protected paths read-only.
struct WorkspaceRequest {
  std::optional<std::string> mode;     // "bind" | "overlay" | "none"; unset: none
  std::string mode_origin;             // "--workspace bind" or "cc.toml:7:8"
  std::optional<std::string> dir;      // --workspace DIR; unset: found from the working directory
  std::optional<std::string> vcs;      // "ro" (default) | "rw"
  std::vector<std::string> protect;    // relative paths made read-only besides the defaults
  std::vector<std::string> unprotect;  // defaults left writable
  // --workspace overlay only (docs/workspace.md, "After the run"):
  std::optional<std::string> changes;  // --changes fail | apply | patch=FILE
  bool include_protected = false;      // --include-protected: --changes apply takes sensitive ones
  bool keep_changes = false;           // --keep-changes: kept for sandbox changes/diff/apply
};

/// One cache (a profile's [[cache]], or changed by --cache NAME=SHARE).
struct CacheRequest {
  std::string name;
  std::string target;
  std::string host;               // the host user's own cache of the kind; "" if none
  std::string share = "sandbox";  // "sandbox" | "host" | "run"
  std::string origin;             // "cc.toml:20:1", for messages
};

/// bubblewrap's command line (`sandbox bwrap`, or run as `bwrap`): bubblewrap's defaults
/// and only the namespaces it names. See src/bwrap/.
struct BwrapOptions {
  bool unshare_pid = false;
  bool unshare_ipc = false;
  bool unshare_uts = false;
  bool unshare_net = false;
  bool unshare_cgroup = false;
  bool new_session = false;
  bool die_with_parent = false;
  bool as_pid_1 = false;                // the command is pid 1 itself, no init
  std::optional<int> info_fd;           // JSON with the child's pid and namespace ids
  std::optional<int> json_status_fd;    // the same, then the exit code
  std::vector<std::string> lock_files;  // --lock-file DEST, held while the sandbox lives
  std::optional<std::string> argv0;     // --argv0: the command's argv[0]
  bool unshare_user = false;            // a user namespace (always, unless the caller is root)
  bool disable_userns = false;          // the job cannot create user namespaces
  bool assert_userns_disabled = false;  // refuse to run unless it cannot
  // Capabilities: unset without --cap-add/--cap-drop; otherwise the set asked for (starting
  // from the caller's effective set for root, from none otherwise).
  std::optional<uint64_t> capabilities;
  std::optional<int> userns_fd;        // --userns: join this user namespace instead
  std::optional<int> userns2_fd;       // --userns2: switch to this one after setup
  std::optional<int> pidns_fd;         // --pidns: join (or nest a new one under) this pid ns
  std::optional<int> sync_fd;          // --sync-fd: held open by pid 1 while the sandbox lives
  std::optional<int> block_fd;         // --block-fd: the command waits for a byte on it
  std::optional<int> userns_block_fd;  // --userns-block-fd: wait before the sandbox goes on
  // --seccomp / --add-seccomp-fd: raw BPF programs read from their descriptors, in order.
  std::vector<std::string> seccomp_programs;
  // Descriptors the options consumed (--file, --bind-fd, --seccomp...): bubblewrap passes every
  // other descriptor on to the command but closes these.
  std::vector<int> consumed_fds;
};

struct CliOptions {
  /// --profile NAME|PATH, in order: several are composed left to right (profile/compose.h).
  std::vector<std::string> profiles;
  std::vector<MountRequest> mounts;
  /// How many of `mounts` come from the profile (they precede the flags' own).
  size_t profile_mounts = 0;
  WorkspaceRequest workspace;
  std::vector<CacheRequest> caches;
  /// --cache NAME=SHARE, in order: changes the share of the profile's cache NAME.
  std::vector<std::pair<std::string, std::string>> cache_shares;
  std::vector<EnvRequest> env;
  bool keep_env = false;
  /// The profile's [env] pass and deny: names and `*`/`?` patterns of the caller's variables
  /// to let in, and patterns never let in except by exact name (policy/environment.h).
  std::vector<std::string> env_pass;
  std::vector<std::string> env_deny;
  std::optional<std::string> hostname;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  bool share_net = false;
  /// Egress (docs/network.md): --allow-host HOST[:PORT] and --resolve HOST:ADDR (after the
  /// profile's [network] allow and resolve), as written; policy::Build checks them.
  struct NetworkEntry {
    std::string value;
    std::string origin;    // "--allow-host x" or "cc.toml:12:5", for show and the report
    SourceLocation where;  // a profile's entry: its file and line (none for a flag)
  };
  std::vector<NetworkEntry> allow_hosts;
  std::vector<NetworkEntry> resolve_pins;
  std::optional<std::string> network;  // --network none|log
  std::optional<std::string> chdir;
  std::vector<int> pass_fds;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<std::chrono::milliseconds> timeout_grace;
  struct Limit {
    std::string name;
    std::string value;
    std::string origin;  // "--limit nproc=64" or "cc.toml:12:8", for messages
  };
  std::vector<Limit> limits;            // --limit NAME=VALUE, in order
  std::optional<std::string> landlock;  // --landlock on|off|auto
  // --host-proc / [sandbox] proc = "host": every proc mount is a read-only recursive bind of
  // the caller's /proc (a container's masked one) instead of a fresh proc.
  std::optional<bool> host_proc;
  // --isolation namespaces|landlock|auto / [sandbox] isolation; isolation_origin says where
  // ("--isolation landlock" or "cc.toml:3:13"), for messages.
  std::optional<std::string> isolation;
  std::string isolation_origin;
  /// The seccomp filter: --seccomp-policy default|none and --seccomp-action errno|kill|log,
  /// or the profile's [seccomp]. Names carry where they were written, for messages.
  struct SeccompName {
    std::string name;
    SourceLocation where;
  };
  std::optional<std::string> seccomp_policy;
  SourceLocation seccomp_policy_where;
  std::optional<std::string> seccomp_action;
  SourceLocation seccomp_action_where;
  std::vector<SeccompName> seccomp_deny;
  std::vector<SeccompName> seccomp_allow;
  bool verbose = false;
  /// bubblewrap's command line (`sandbox bwrap`, or run as `bwrap`); see BwrapOptions.
  using Bwrap = BwrapOptions;
  std::optional<Bwrap> bwrap;
  bool tty = false;                 // --tty: the job gets a pseudo-terminal of the sandbox's own
  std::optional<std::string> name;  // --name: the run's name for ps/enter/stop
  std::optional<std::string> report_path;  // --report FILE
  // `sandbox step`: the report's directory must be outside every bind of the job, and the run
  // ends with a one-line summary on stderr.
  bool report_hidden_from_job = false;
  bool step_summary = false;
  std::optional<int> report_fd;  // --report-fd N
  std::vector<std::string> command;
};

}  // namespace sandbox::cli

#endif  // SANDBOX_CLI_OPTIONS_H_

// Policy: everything a run may see and do, decided before clone() and never changed after.
// Built only by policy::Build (see build.h); the launch side compiles it into a ChildPlan.
#ifndef SANDBOX_POLICY_POLICY_H_
#define SANDBOX_POLICY_POLICY_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/mount_kind.h"
#include "common/result.h"
#include "egress/rules.h"
#include "seccomp/settings.h"

namespace sandbox::policy {

struct MountOp {
  MountKind kind = MountKind::kBind;
  std::string source;     // host path for binds (absolute, canonical); link text for symlinks
  std::string target;     // absolute, lexically normalised path inside the sandbox
  bool optional = false;  // *-try: a missing source skips the op instead of failing
  std::optional<uint64_t> size_bytes;  // tmpfs
  std::optional<mode_t> mode;          // tmpfs, dir, file
  std::string content;                 // kFile, kBindData
  SourceLocation origin;               // where the op was asked for, for error messages
  std::vector<std::string> layers;     // overlays: canonical host paths, bottom to top
  std::string upper;                   // kOverlay: canonical host upper dir and workdir
  std::string work;
  bool recursive = true;              // kRemountReadOnly: every mount below target too
  std::optional<mode_t> parent_mode;  // missing parents are created with this (else 0755)
  int source_fd = -1;   // bwrap --bind-fd: the bind must be this (inherited) descriptor's file
  bool socket = false;  // kReadOnlyBind of one unix socket the job may connect to (--bind-socket)
  // kTmpOverlay of the workspace (--workspace overlay): its upper layer is a tmpfs of its own
  // (size_bytes, bounded like the tmpfs mounts) that pid 1 hands to the supervisor.
  bool capture_changes = false;
};

/// The job's capabilities. kNone: every set emptied and securebits locked (the default).
/// kUnchanged: left exactly as the sandbox's process has them (bubblewrap run by root).
/// kExactly: `keep` in the effective, permitted, inheritable and ambient sets; the bounding
/// set is cut down to `keep` too when `limit_bounding`.
struct CapabilityPlan {
  enum class Mode { kNone, kUnchanged, kExactly };
  Mode mode = Mode::kNone;
  uint64_t keep = 0;
  bool limit_bounding = true;
};

/// bubblewrap's descriptors for joining namespaces and coordinating with the caller; -1 when
/// unused. They are the caller's descriptors, inherited by the sandbox.
struct Coordination {
  int userns_fd = -1;                   // the supervisor joins this user namespace before clone
  int userns2_fd = -1;                  // switched to after setup
  int pidns_fd = -1;                    // the supervisor joins this pid namespace before clone
  int sync_fd = -1;                     // held by pid 1 while the sandbox lives, closed in the job
  int block_fd = -1;                    // the job waits for a byte (or EOF) on it before exec
  int userns_block_fd = -1;             // the supervisor waits on it instead of writing the id maps
  bool disable_userns = false;          // the job may not create user namespaces
  bool assert_userns_disabled = false;  // refuse to run unless it cannot
  // Every descriptor of the caller passes to the job (bubblewrap), except `consumed` ones;
  // otherwise only pass_fds.
  bool inherit_fds = false;
  std::vector<int> consumed;
};

enum class NetworkMode { kNone, kHost };

/// Egress (docs/network.md): in its own network namespace, the job reaches `allow` (kAllowList)
/// or anything (kLog, recorded) through the sandbox's proxy, and nothing else. kOff: lo only.
struct EgressPlan {
  enum class Mode { kOff, kAllowList, kLog };
  Mode mode = Mode::kOff;
  std::vector<egress::HostRule> allow;
  std::vector<egress::Pin> resolve;
  // egress::NumberedNames(allow): name i has synthetic number kFirstSyntheticIndex + i from the
  // start, in the job's /etc/hosts, the supervisor's fence and the proxy's resolver alike.
  std::vector<std::string> numbered;
  bool on() const { return mode != Mode::kOff; }
};

struct Identity {
  uid_t outer_uid = 0;  // the caller's ids on the host
  gid_t outer_gid = 0;
  uid_t inner_uid = 0;  // what the job sees
  gid_t inner_gid = 0;
};

struct ResourceLimit {
  std::string name;    // "nproc"
  int resource = 0;    // RLIMIT_NPROC
  uint64_t value = 0;  // soft and hard; RLIM_INFINITY for unlimited
};

/// cgroup v2 limits; any set means the run needs a delegated cgroup and refuses without one.
struct CgroupRequest {
  std::optional<uint64_t> memory_max;  // bytes
  std::optional<uint64_t> pids_max;
  std::optional<uint64_t> cpu_quota_us;  // per 100 ms
  bool any() const { return memory_max || pids_max || cpu_quota_us; }
};

/// tmpfs bounds (policy/tmpfs_bounds.h). Not in bwrap mode, where --size is bubblewrap's.
struct TmpfsPlan {
  bool bounded = false;
  uint64_t per_mount = 0;  // what a tmpfs without a size of its own got
  uint64_t total = 0;      // the job's writable tmpfs mounts together
  uint64_t own_bytes = 0;  // each of the sandbox's own (staging, root, /dev without shm)
};

struct LandlockPlan {
  int abi = 0;  // the ABI applied; 0 = not applied
  bool required = false;
};

/// How the job is isolated. kNamespaces: new user, mount, pid, ipc, uts, cgroup (and net)
/// namespaces. kLandlock (`--isolation landlock`, for hosts and containers that refuse user
/// namespaces): no namespace at all; Landlock, seccomp, rlimits and a subreaper instead.
enum class Isolation { kNamespaces, kLandlock };

/// One path of the host the job may open under `--isolation landlock`, and how.
struct LandlockOnlyRule {
  std::string path;  // canonical host path
  bool writable = false;
  SourceLocation origin;  // the mount it stands for
};

/// The profile's mounts translated for `--isolation landlock` (policy/landlock_only.h).
struct LandlockOnlyPlan {
  std::vector<LandlockOnlyRule> rules;
  /// A tmpfs at /tmp: the supervisor makes a private directory, writable, named by TMPDIR.
  bool private_tmp = false;
  /// What the namespace run would have and this one lacks, for the stderr note and the report.
  std::vector<std::string> lacks;
};

/// An optional bind whose source was missing, so not mounted; kept for the report. `before`:
/// how many of mounts() come before it.
struct AbsentMount {
  MountOp op;  // source as asked for (not canonical: it does not exist)
  size_t before = 0;
};

/// Names (never values) of the caller's variables, for the report: see policy/environment.h.
struct EnvNames {
  std::vector<std::string> passed;
  std::vector<std::string> denied;
  std::vector<std::string> dropped;
};

class Policy {
 public:
  const std::vector<MountOp>& mounts() const { return mounts_; }
  const std::vector<AbsentMount>& absent_mounts() const { return absent_mounts_; }
  const Identity& identity() const { return identity_; }
  NetworkMode network() const { return network_; }
  const EgressPlan& egress() const { return egress_; }
  const std::string& hostname() const { return hostname_; }
  const std::string& cwd() const { return cwd_; }
  /// False when cwd is only a preference (the caller's directory): fall back to
  /// cwd_fallback(), then to /, if absent.
  bool cwd_required() const { return cwd_required_; }
  /// bwrap mode without --chdir: the sandbox's HOME (bubblewrap's second choice); empty: none.
  const std::string& cwd_fallback() const { return cwd_fallback_; }
  /// bwrap mode: where PWD sits in environment(); the job sets it to the directory it
  /// entered, which only the job knows (bubblewrap's xsetenv after its chdir).
  std::optional<size_t> pwd_index() const { return pwd_index_; }
  /// The job's complete environment as NAME=VALUE, in a stable order.
  const std::vector<std::string>& environment() const { return environment_; }
  const EnvNames& env_names() const { return env_names_; }
  /// What the caller should hear before the run, each one line (the run goes on).
  const std::vector<std::string>& notes() const { return notes_; }
  const std::vector<std::string>& command() const { return command_; }
  /// Descriptors the caller asked to keep open in the job (besides 0, 1, 2).
  const std::vector<int>& pass_fds() const { return pass_fds_; }
  std::optional<std::chrono::milliseconds> timeout() const { return timeout_; }
  std::chrono::milliseconds timeout_grace() const { return timeout_grace_; }
  /// Applied to the job as both soft and hard limit; core is 0 unless overridden.
  const std::vector<ResourceLimit>& limits() const { return limits_; }
  const CgroupRequest& cgroup() const { return cgroup_; }
  /// Landlock as it will be applied (abi 0: off, by request or because the kernel lacks it).
  const LandlockPlan& landlock() const { return landlock_; }
  const TmpfsPlan& tmpfs() const { return tmpfs_; }
  /// The sandbox's own root tmpfs and /dev become read-only once built (not in bwrap mode).
  bool seal_own_mounts() const { return seal_own_mounts_; }
  /// The seccomp filter to install last before execve; nullopt: none (--seccomp-policy none).
  const std::optional<seccomp::Settings>& seccomp() const { return seccomp_; }
  bool new_session() const { return new_session_; }
  /// --host-proc: the proc mounts are read-only binds of the caller's /proc.
  bool host_proc() const { return host_proc_; }
  /// CLONE_NEW* flags of the namespaces the sandbox gets: every one in the default mode; in
  /// bwrap mode the user and mount namespaces plus those asked for.
  uint64_t namespaces() const { return namespaces_; }
  /// bwrap's --as-pid-1: the command runs as the sandbox's pid 1 instead of under an init.
  bool job_is_pid1() const { return job_is_pid1_; }
  /// bwrap's --lock-file: paths inside the sandbox its pid 1 holds a read lock on.
  const std::vector<std::string>& lock_files() const { return lock_files_; }
  /// bwrap mode: the command re-executing the sandbox's own binary through /proc/PID/exe
  /// reaches bwrap mode again (as `sandbox bwrap`), whatever the binary's file is called.
  bool reexec_as_bwrap() const { return reexec_as_bwrap_; }
  /// bwrap's --argv0: argv[0] for the command, which is still found by command()[0].
  const std::optional<std::string>& argv0() const { return argv0_; }
  /// --tty: a pseudo-terminal from the sandbox's devpts is the job's stdio and controlling
  /// terminal; the supervisor relays it to its own terminal.
  bool terminal() const { return terminal_; }
  bool die_with_parent() const { return die_with_parent_; }
  bool verbose() const { return verbose_; }
  const CapabilityPlan& capabilities() const { return capabilities_; }
  const Coordination& coordination() const { return coordination_; }
  /// bwrap's --seccomp/--add-seccomp-fd: raw BPF programs, installed after the own filter.
  const std::vector<std::string>& extra_seccomp_programs() const { return extra_seccomp_; }
  /// False in bwrap mode: pid 1 and the job stay in the caller's session and process group,
  /// so the command keeps its controlling terminal (unless --new-session).
  bool own_session() const { return own_session_; }
  Isolation isolation() const { return isolation_; }
  /// kLandlock: the host paths the job may open and what the run lacks (empty otherwise).
  const LandlockOnlyPlan& landlock_only() const { return landlock_only_; }

 private:
  friend class PolicyBuilder;
  Policy() = default;

  std::vector<MountOp> mounts_;
  std::vector<AbsentMount> absent_mounts_;
  Identity identity_;
  NetworkMode network_ = NetworkMode::kNone;
  EgressPlan egress_;
  std::string hostname_ = "sandbox";
  std::string cwd_ = "/";
  bool cwd_required_ = false;
  std::string cwd_fallback_;
  std::optional<size_t> pwd_index_;
  bool reexec_as_bwrap_ = false;
  std::vector<std::string> environment_;
  EnvNames env_names_;
  std::vector<std::string> notes_;
  std::vector<std::string> command_;
  std::vector<int> pass_fds_;
  std::optional<std::chrono::milliseconds> timeout_;
  std::chrono::milliseconds timeout_grace_{5000};
  std::vector<ResourceLimit> limits_;
  LandlockPlan landlock_;
  TmpfsPlan tmpfs_;
  bool seal_own_mounts_ = false;
  CgroupRequest cgroup_;
  std::optional<seccomp::Settings> seccomp_ = seccomp::Settings{};
  bool new_session_ = true;
  bool host_proc_ = false;
  uint64_t namespaces_ = 0;
  bool job_is_pid1_ = false;
  std::vector<std::string> lock_files_;
  std::optional<std::string> argv0_;
  bool terminal_ = false;
  bool die_with_parent_ = true;
  bool verbose_ = false;
  CapabilityPlan capabilities_;
  Coordination coordination_;
  std::vector<std::string> extra_seccomp_;
  bool own_session_ = true;
  Isolation isolation_ = Isolation::kNamespaces;
  LandlockOnlyPlan landlock_only_;
};

}  // namespace sandbox::policy

#endif  // SANDBOX_POLICY_POLICY_H_

// ChildPlan: the flat, ready-to-execute form of a Policy. Built by launch::PlanBuilder in the
// supervisor before clone(); the child only reads it, so nothing between clone() and execve()
// allocates or parses. All pointers point into storage owned by the plan.
#ifndef SANDBOX_CHILD_PLAN_H_
#define SANDBOX_CHILD_PLAN_H_

#include <linux/filter.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "child/job_stack.h"
#include "common/mount_kind.h"

namespace sandbox::child {

struct MountStep {
  MountKind kind = MountKind::kBind;
  const char* source = nullptr;     // binds: canonical host path without the leading '/'
                                    // symlink: the link text; otherwise null
  const char* target = nullptr;     // path inside the new root without the leading '/' ("" = root)
  const char* size_text = nullptr;  // tmpfs: byte count for fsconfig "size", or null
  const char* mode_text = nullptr;  // tmpfs: octal for fsconfig "mode"
  const char* content = nullptr;    // kFile
  size_t content_size = 0;
  bool optional = false;
  mode_t mode = 0755;         // dir, file, tmpfs root, chmod, bind-data
  mode_t parent_mode = 0755;  // missing parents of target are created with this
  int op_index = 0;           // index in Policy::mounts(), echoed in error records
  bool recursive = true;      // remount-ro: every mount below target too
  bool host_proc = false;     // proc without a pid namespace of its own: bind the host's
  // bwrap --bind-fd: the caller's descriptor the bind was resolved from; once mounted, the bind
  // must be its file (same st_dev and st_ino), or the path was swapped meanwhile. -1: no check.
  int source_fd = -1;
  // Landlock rights beneath what the step made (pid 1 adds the rule from the step's own
  // descriptor); 0: no rule.
  uint64_t landlock_access = 0;
  // A bounded tmpfs (kTmpfs with size_bytes; kDev: its /dev/shm): pid 1 reports it when the job
  // left it full (init::BoundedMount).
  bool watch_full = false;
  uint64_t size_bytes = 0;
  const char* watch_target = nullptr;  // the watched mount's path, as `target`
  // Overlays: layer paths under the staging root ("/oldroot/..."), top layer first, for
  // fsconfig "lowerdir+"; lowerdir_text is all of them escaped and joined by ':', for kernels
  // before 6.8. upper/work: the host's dirs (kOverlay), or null.
  const char* const* layers = nullptr;
  size_t layer_count = 0;
  const char* lowerdir_text = nullptr;
  const char* upper = nullptr;
  const char* work = nullptr;
  // kTmpOverlay of the workspace: upper and work on a tmpfs of size_text of their own, the
  // upper dir sent to the supervisor (kWorkspaceChanges) and given the mode of `source`, the
  // lower layer's path as for binds.
  bool capture_changes = false;
};

struct ChildPlan {
  std::vector<MountStep> mounts;

  // The child writes its own id maps (child/id_maps.h): "<inner> <outer> 1\n" each.
  const char* uid_map = "";
  const char* gid_map = "";
  uid_t inner_uid = 0;
  gid_t inner_gid = 0;
  bool write_id_maps = true;  // false: not our user namespace, or the caller maps it
  bool wait_for_go = false;   // bwrap --userns-block-fd: a byte on sync_fd releases the child
  // The ids the caller is mapped to (inner_* unless a nested namespace follows).
  uid_t first_map_uid = 0;
  gid_t first_map_gid = 0;
  // bwrap --userns with --uid/--gid: the joined namespace may map more ids than the caller's,
  // and pid 1 switches to the ones asked for before any setup: setuid, then setgid (bubblewrap's
  // order). -1: keep the id.
  uid_t switch_uid = static_cast<uid_t>(-1);
  gid_t switch_gid = static_cast<gid_t>(-1);

  // The sandbox's own tmpfs mounts (staging, root, /dev): their size ("1048576"), or null for
  // the kernel's default. seal_own_mounts: the root and /dev become read-only mounts once every
  // step is applied (not in bwrap mode, whose root stays writable as bubblewrap's).
  const char* own_tmpfs_size_text = nullptr;
  bool seal_own_mounts = false;

  // Per-user kernel object limits for the sandbox's own user namespace, written by pid 1 into
  // its /proc/sys/user (child/user_limits.h): {"max_inotify_instances", "64"}. Empty: none.
  struct UserLimit {
    const char* name;
    const char* value;
  };
  std::vector<UserLimit> user_limits;
  // Why the caller's limits could not be read (a masked /proc/sys), or null. The run then
  // refuses once the mounts are made (so a masked /proc is reported as what it breaks first).
  const char* user_limits_error = nullptr;

  const char* hostname = "sandbox";
  bool bring_up_loopback = true;
  // --allow-host (child/egress.h): lo's extra addresses and the proxy's sockets, sent to the
  // supervisor; the proxy listens at egress_proxy_port.
  bool egress = false;
  uint16_t egress_proxy_port = 0;
  bool set_hostname = true;       // only in a UTS namespace of the sandbox's own
  bool own_pid_namespace = true;  // pid 1 of a new pid namespace (see init::RunInit)
  bool job_is_pid1 = false;       // bwrap --as-pid-1: pid 1 execs the job itself
  // bwrap --lock-file: paths inside the sandbox that pid 1 holds a read lock on while it lives.
  std::vector<const char*> lock_files;

  const char* cwd = "/";
  bool cwd_required = false;
  // bwrap mode: tried when cwd is not there, before "/" (bubblewrap's $HOME); null: none.
  const char* cwd_fallback = nullptr;
  mode_t umask = 022;

  std::vector<char*> argv;          // null-terminated
  const char* exec_name = nullptr;  // what to execute when argv[0] differs (bwrap --argv0)
  // bwrap mode: argv with kBwrapReexecArg after argv[0], for a command that is the sandbox's
  // own binary reached through /proc/PID/exe (child/exec.cc). Empty otherwise.
  std::vector<char*> argv_as_bwrap;
  std::vector<char*> envp;  // null-terminated
  // bwrap mode: PWD names the directory entered, so envp (cwd entered) has two variants with
  // PWD changed: cwd_fallback entered, and "/". Empty when PWD is not the job's to set.
  std::vector<char*> envp_fallback;
  std::vector<char*> envp_root;
  std::vector<const char*> path_dirs;  // the job's PATH split, for the exec search

  struct Limit {
    int resource;
    uint64_t value;
    const char* name;  // "nofile", for the error message
  };
  std::vector<Limit> limits;

  // Landlock: 0 = not applied. Rule paths are absolute paths in the new root.
  int landlock_abi = 0;
  struct LandlockRule {
    const char* path;
    uint64_t access;
    bool optional;  // skip when absent (e.g. an optional bind that was skipped)
    // `sandbox enter`: the object the run's rule names (pid 1 reported it); no rule if not.
    bool recorded;
    uint64_t device;
    uint64_t inode;
  };
  std::vector<LandlockRule> landlock_rules;
  bool landlock_objects_known = false;  // enter: the run reported its rules' objects
  // --isolation landlock: no namespaces; the cloned child is the job itself and opens
  // landlock_rules (host paths) before restricting itself (child/landlock_only.h).
  bool landlock_only = false;
  // The ruleset handles TCP bind and connect (ABI 4 and up) with no rule: none allowed.
  bool landlock_net = false;

  // Seccomp: a compiled BPF program (empty: no filter), installed last before execve. With
  // seccomp_listener the job sends the notification listener to the supervisor first; with
  // seccomp_listener_pull the supervisor takes it with pidfd_getfd (common/listener_handover.h),
  // without, a helper process sends it.
  std::vector<sock_filter> seccomp_program;
  bool seccomp_listener = false;
  bool seccomp_listener_pull = false;

  // --tty: pid 1 opens a pty in the sandbox's devpts, sends the master to the supervisor and
  // gives the slave to the job as stdio and controlling terminal, sized rows x cols.
  bool terminal = false;
  unsigned short terminal_rows = 0;
  unsigned short terminal_cols = 0;

  std::vector<int> pass_fds;  // sorted, all > 2
  bool new_session = true;

  // Capabilities the job ends with (policy::CapabilityPlan): kDropAll also locks securebits.
  enum class Caps : uint8_t { kDropAll, kUnchanged, kExactly };
  Caps caps = Caps::kDropAll;
  uint64_t caps_keep = 0;
  bool caps_limit_bounding = true;

  // bwrap mode. pid 1 stays in the caller's session unless own_session.
  bool own_session = true;
  // Every inherited descriptor passes to the job except consumed_fds (sorted); pid 1 keeps
  // only the sync socket, hold_fd and its lock files.
  bool inherit_fds = false;
  std::vector<int> consumed_fds;
  int hold_fd = -1;              // --sync-fd
  int block_fd = -1;             // --block-fd: the job reads a byte before exec
  int userns2_fd = -1;           // --userns2: pid 1 switches to it after setup
  bool die_with_parent = false;  // the job too gets SIGKILL when its parent dies
  bool init_drops_caps = false;  // pid 1 keeps no capabilities (bubblewrap's reaper)
  // A second user namespace created by pid 1 after setup, mapping nest_uid/gid to the ids it
  // had in the first (nest_outer_*): to disable further namespaces, or to leave uid 0, which
  // the first one needed for devpts.
  bool nest_userns = false;
  uid_t nest_uid = 0;
  gid_t nest_gid = 0;
  uid_t nest_outer_uid = 0;
  gid_t nest_outer_gid = 0;
  bool disable_userns = false;          // max_user_namespaces = 1 in the first one
  bool assert_userns_disabled = false;  // refuse if one can still be created
  // bwrap --seccomp/--add-seccomp-fd programs, installed in order after the own filter.
  std::vector<std::vector<sock_filter>> extra_seccomp;
  int last_capability = 40;  // /proc/sys/kernel/cap_last_cap, read in the parent

  // The supervisor's environment block [env_begin, env_end): pid 1 is a copy of the
  // supervisor, and /proc/1/environ would show the caller's variables unless pid 1 wipes it.
  char* env_begin = nullptr;
  char* env_end = nullptr;
  char* args_begin = nullptr;  // likewise for /proc/1/cmdline
  char* args_end = nullptr;

  bool report_steps = false;  // --verbose: send a kStepDone record after each step

  int sync_fd = -1;  // the child's end of the supervisor socket
  // CLOCK_MONOTONIC when main() began, in ns: --verbose's "prepare the run" line (the
  // supervisor's own share of start-up, before clone).
  int64_t main_started_ns = 0;

  // pid 1 starts the job on this stack sharing its memory (child/job_stack.h); unmapped: fork.
  JobStack job_stack;

  std::deque<std::vector<const char*>> overlay_layers;  // MountStep::layers point here

  // Backing storage for every pointer above. A deque never moves its elements.
  std::deque<std::string> strings;
  const char* Intern(std::string text) { return strings.emplace_back(std::move(text)).c_str(); }
};

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_PLAN_H_

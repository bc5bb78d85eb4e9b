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
  mode_t mode = 0755;  // dir, file, tmpfs root
  int op_index = 0;    // index in Policy::mounts(), echoed in error records
};

struct ChildPlan {
  std::vector<MountStep> mounts;

  // The child writes its own id maps (child/id_maps.h): "<inner> <outer> 1\n" each.
  const char* uid_map = "";
  const char* gid_map = "";
  uid_t inner_uid = 0;
  gid_t inner_gid = 0;

  const char* hostname = "sandbox";
  bool bring_up_loopback = true;
  bool set_hostname = true;       // only in a UTS namespace of the sandbox's own
  bool own_pid_namespace = true;  // pid 1 of a new pid namespace (see init::RunInit)
  bool job_is_pid1 = false;       // bwrap --as-pid-1: pid 1 execs the job itself
  // bwrap --lock-file: paths inside the sandbox that pid 1 holds a read lock on while it lives.
  std::vector<const char*> lock_files;

  const char* cwd = "/";
  bool cwd_required = false;
  mode_t umask = 022;

  std::vector<char*> argv;             // null-terminated
  const char* exec_name = nullptr;     // what to execute when argv[0] differs (bwrap --argv0)
  std::vector<char*> envp;             // null-terminated
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
  };
  std::vector<LandlockRule> landlock_rules;

  // Seccomp: a compiled BPF program (empty: no filter), installed last before execve. With
  // seccomp_listener the job sends the notification listener to the supervisor first.
  std::vector<sock_filter> seccomp_program;
  bool seccomp_listener = false;

  // --tty: pid 1 opens a pty in the sandbox's devpts, sends the master to the supervisor and
  // gives the slave to the job as stdio and controlling terminal, sized rows x cols.
  bool terminal = false;
  unsigned short terminal_rows = 0;
  unsigned short terminal_cols = 0;

  std::vector<int> pass_fds;  // sorted, all > 2
  bool new_session = true;
  int last_capability = 40;  // /proc/sys/kernel/cap_last_cap, read in the parent

  // The supervisor's environment block [env_begin, env_end): pid 1 is a copy of the
  // supervisor, and /proc/1/environ would show the caller's variables unless pid 1 wipes it.
  char* env_begin = nullptr;
  char* env_end = nullptr;
  char* args_begin = nullptr;  // likewise for /proc/1/cmdline
  char* args_end = nullptr;

  bool report_steps = false;  // --verbose: send a kStepDone record after each step

  int sync_fd = -1;  // the child's end of the supervisor socket

  // pid 1 starts the job on this stack sharing its memory (child/job_stack.h); unmapped: fork.
  JobStack job_stack;

  // Backing storage for every pointer above. A deque never moves its elements.
  std::deque<std::string> strings;
  const char* Intern(std::string text) { return strings.emplace_back(std::move(text)).c_str(); }
};

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_PLAN_H_

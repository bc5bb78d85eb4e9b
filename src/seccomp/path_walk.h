// Resolves a path the way the kernel resolves it for the job, one component at a time, from
// the supervisor: in the job's root (".." and absolute symlinks stop there), with the job's
// openat2 RESOLVE_* restrictions, and "self" and "thread-self" of a procfs root standing for
// the job (the kernel would take them for the supervisor, which is no process of the job's
// /proc). Used by the FIFO fence (open_mediator.h) before it opens anything for the job.
#ifndef SANDBOX_SECCOMP_PATH_WALK_H_
#define SANDBOX_SECCOMP_PATH_WALK_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace sandbox::seccomp {

struct WalkOptions {
  int root = -1;            // where "/" and ".." stop (RESOLVE_IN_ROOT, RESOLVE_BENEATH: start)
  uint64_t resolve = 0;     // openat2's RESOLVE_* flags (RESOLVE_CACHED: EAGAIN)
  bool follow_last = true;  // follow a symlink in the last component (no O_NOFOLLOW, no O_EXCL)
  /// What "self" (thread: "thread-self") stands for in the procfs root `proc_root`, as a path
  /// relative to it ("7", "7/task/9"); empty: not found there.
  std::function<std::string(int proc_root, bool thread)> proc_self;
};

struct WalkResult {
  UniqueFd target;  // O_PATH of what the path names (0 returned)
  UniqueFd parent;  // ENOENT returned: the directory where `last` is missing
  std::string last;
  bool last_is_link = false;  // target is a symlink left unfollowed (follow_last false)
  bool must_be_dir = false;   // the path ended with "/"
};

/// Walks `path` from `start` (absolute paths from options.root). Returns 0 (target set),
/// ENOENT with `parent` set when only the last component is missing, or the errno the kernel
/// gives for the path (ENOTDIR, ELOOP, EXDEV, EACCES, ...). Makes no capability-dependent
/// check itself: call it as the job (as_the_job.h).
int WalkPath(const WalkOptions& options, int start, std::string_view path, WalkResult* out);

}  // namespace sandbox::seccomp

#endif  // SANDBOX_SECCOMP_PATH_WALK_H_

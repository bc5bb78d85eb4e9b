// Building the sandbox's root: a staging tmpfs holds the host's old root (as the source of
// binds) and the new root; each MountStep is applied inside the new root; then the new root is
// pivoted into and the host's tree detached. Child side, async-signal-safe throughout.
#ifndef SANDBOX_CHILD_MOUNTS_H_
#define SANDBOX_CHILD_MOUNTS_H_

#include "child/plan.h"
#include "child/step_error.h"

namespace sandbox::child {

struct RootFds {
  int old_root = -1;   // the host's tree, moved under the staging root
  int new_root = -1;   // the tmpfs that becomes "/" (or what was mounted over it)
  int base_root = -1;  // that tmpfs itself, even once covered: what SealOwnMounts seals
  // Size of the sandbox's own tmpfs mounts (staging, root, /dev), or null: unbounded.
  const char* own_size_text = nullptr;
  // The job's per-user limits, written through the first fresh proc (child/user_limits.h).
  const ChildPlan::UserLimit* user_limits = nullptr;
  size_t user_limit_count = 0;
  int sync_fd = -1;  // the supervisor socket: the workspace overlay's upper dir goes there
};

/// What a step leaves behind, for the Landlock rules and the tmpfs watch: descriptors owned
/// by the caller, -1 if none.
struct Mounted {
  int fd = -1;                     // the mount made (its root), or the directory or file made
  int shm_fd = -1;                 // kDev with its own /dev/shm: that tmpfs
  bool wrote_user_limits = false;  // a fresh proc: fds.user_limits went through it
};

/// Makes every mount private (nothing propagates back to the host), then mounts the staging
/// tmpfs over /tmp, pivots into it and mounts the new root's tmpfs, both of
/// plan.own_tmpfs_size_text.
StepError PrepareStagingRoot(const ChildPlan& plan, RootFds* fds) noexcept;

/// Applies one mount step inside fds.new_root; *out receives what it made.
StepError ApplyMountStep(const RootFds& fds, const MountStep& step, Mounted* out) noexcept;

/// Makes the sandbox's own root tmpfs and the /dev tmpfs mounts in `dev_fds` read-only (not
/// recursively: what is mounted on them keeps its own flags). Once every step is applied:
/// the steps create their mount points in them.
StepError SealOwnMounts(const RootFds& fds, const int* dev_fds, size_t dev_count) noexcept;

/// Creates a detached mount of a fresh filesystem (fsopen/fsmount) with the given mount
/// attributes; mode/size may be null. *out_fd is owned by the caller.
StepError MountFreshFs(const char* type, const char* mode_text, const char* size_text,
                       unsigned attrs, SetupStep step, const char* path, int* out_fd) noexcept;

/// pivot_root into the new root and detach the staging root with the host's tree under it.
/// Closes the descriptors in *fds.
/// After a mount onto the new root itself (`--bind / /`, `--tmpfs /`), fds->new_root still
/// names the covered tmpfs; reopen it so later steps and the pivot see the mount on top.
StepError RefreshNewRoot(RootFds* fds) noexcept;

StepError EnterNewRoot(RootFds* fds) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_MOUNTS_H_

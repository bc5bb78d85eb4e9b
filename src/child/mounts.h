// Building the sandbox's root: a staging tmpfs holds the host's old root (as the source of
// binds) and the new root; each MountStep is applied inside the new root; then the new root is
// pivoted into and the host's tree detached. Child side, async-signal-safe throughout.
#ifndef SANDBOX_CHILD_MOUNTS_H_
#define SANDBOX_CHILD_MOUNTS_H_

#include "child/plan.h"
#include "child/step_error.h"

namespace sandbox::child {

struct RootFds {
  int old_root = -1;  // the host's tree, moved under the staging root
  int new_root = -1;  // the tmpfs that becomes "/"
};

/// Makes every mount private (nothing propagates back to the host), then mounts the staging
/// tmpfs over /tmp, pivots into it and mounts the new root's tmpfs.
StepError PrepareStagingRoot(RootFds* fds) noexcept;

/// Applies one mount step inside fds.new_root.
StepError ApplyMountStep(const RootFds& fds, const MountStep& step) noexcept;

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

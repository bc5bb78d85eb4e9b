// Resolving and creating paths inside the new root without ever leaving it. Every lookup goes
// through openat2(RESOLVE_IN_ROOT), so a symlink planted in a rw bind (by an earlier run's job,
// say) resolves inside the new root like it would for the job, and creation happens with
// *at() calls on an already-resolved parent: nothing is created or mounted on the host.
#ifndef SANDBOX_CHILD_PATHS_H_
#define SANDBOX_CHILD_PATHS_H_

#include "child/step_error.h"

namespace sandbox::child {

enum class LeafKind { kDirectory, kFile, kExisting };

/// Opens `path` (relative, no leading '/') inside `root_fd` as an O_PATH descriptor, creating
/// missing parents as 0755 directories and a missing leaf as `leaf` says (kExisting: do not
/// create). `leaf_mode` applies to a created leaf, `parent_mode` to created parents. On
/// success *out_fd is owned by the caller. Async-signal-safe.
StepError OpenInRoot(int root_fd, const char* path, LeafKind leaf, unsigned leaf_mode,
                     SetupStep step, int* out_fd, unsigned parent_mode = 0755) noexcept;

/// Opens the parent directory of `path` inside the root (creating it as above) and points
/// *leaf_name at the last component of `path`. Fails on the root itself. Async-signal-safe.
StepError OpenParentInRoot(int root_fd, const char* path, SetupStep step, int* out_fd,
                           const char** leaf_name, unsigned parent_mode = 0755) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_PATHS_H_

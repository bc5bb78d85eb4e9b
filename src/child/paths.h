// Resolving and creating paths inside the new root without ever leaving it, and without being
// steered by what a job left behind. The walk goes one component at a time from descriptors
// (openat with O_NOFOLLOW): ".." and absolute link texts stop at the root as they would for the
// job after pivot_root, and a symlink is followed only where the job cannot have planted it:
// on a read-only mount, or on a filesystem this setup created itself (TrustSymlinksOn). A
// symlink in a read-write bind of the host (a checkout an earlier or concurrent job writes)
// refuses the step instead. Creation happens with *at() calls on a resolved parent: nothing is
// created or mounted on the host.
#ifndef SANDBOX_CHILD_PATHS_H_
#define SANDBOX_CHILD_PATHS_H_

#include "child/step_error.h"

namespace sandbox::child {

enum class LeafKind { kDirectory, kFile, kExisting };

/// Opens `path` (relative, no leading '/') inside `root_fd` as an O_PATH descriptor, creating
/// missing parents as 0755 directories and a missing leaf as `leaf` says (kExisting: do not
/// create). `leaf_mode` applies to a created leaf, `parent_mode` to created parents. On
/// success *out_fd is owned by the caller. Fails with ELOOP on a symlink that lives on a
/// writable filesystem the sandbox did not create. Async-signal-safe.
StepError OpenInRoot(int root_fd, const char* path, LeafKind leaf, unsigned leaf_mode,
                     SetupStep step, int* out_fd, unsigned parent_mode = 0755) noexcept;

/// Opens the parent directory of `path` inside the root (creating it as above) and points
/// *leaf_name at the last component of `path`. Fails on the root itself. Async-signal-safe.
StepError OpenParentInRoot(int root_fd, const char* path, SetupStep step, int* out_fd,
                           const char** leaf_name, unsigned parent_mode = 0755) noexcept;

/// Records the filesystem of `fd` as one this setup created empty (the root tmpfs, a --tmpfs,
/// /dev): every symlink on it is the sandbox's own, so OpenInRoot follows them. Returns false
/// when the table is full (the filesystem then counts as untrusted). Async-signal-safe.
bool TrustSymlinksOn(int fd) noexcept;

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_PATHS_H_

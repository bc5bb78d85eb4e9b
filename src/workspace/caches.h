// Caches: directories that sandboxed runs keep between them, apart from the host user's own
// (docs/workspace.md, "Caches"). The host's cache of the same kind is shown beneath as the
// read-only lower layer of an overlay, so its entries are used and never changed.
#ifndef SANDBOX_WORKSPACE_CACHES_H_
#define SANDBOX_WORKSPACE_CACHES_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "cli/options.h"
#include "common/result.h"
#include "workspace/layout.h"

namespace sandbox::workspace {

/// Makes the mounts of one cache and says how it is kept:
///  - share "sandbox": <cache_home>/sandbox/caches/NAME/data (created 0700, owned by `uid`,
///    never through a symlink), read-write; over the host's cache when that exists, as an
///    overlay's upper layer. A second run using the cache while one holds it gets the same
///    layers with writes discarded (overlayfs forbids two mounts sharing an upper layer), and
///    a note says so.
///  - share "host": the host's cache, read-write (created when missing).
///  - share "run": a tmpfs that lasts the run.
/// Appends the mounts to `mounts` and a held lock to `locks`. Without `create`, only says
/// what a run would do (as if the cache were free), touching nothing.
Result<CacheUse> PrepareCache(const cli::CacheRequest& cache, const std::string& cache_home,
                              uid_t uid, bool create, std::vector<cli::MountRequest>* mounts,
                              std::vector<UniqueFd>* locks, std::vector<std::string>* notes);

/// --isolation landlock: no mount namespace can show a cache at its target. One beneath /tmp
/// lives in the job's private TMPDIR instead (the environment's /tmp paths are made to lead
/// there) for this run only; no mount. False for a target elsewhere, which the translation
/// into Landlock rules then refuses by name.
bool CacheInPrivateTmp(const cli::CacheRequest& cache, CacheUse* use);

/// `path` and the directories above it, created 0700 where missing (like mkdir -p).
Result<void> MakeDirs(const std::string& path);

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_CACHES_H_

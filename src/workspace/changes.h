// The change list of a --workspace overlay run: what the job's writes in the overlay's upper
// layer amount to against the checkout (the lower layer), with the entries the host would run
// or trust flagged. Read after the job, by the supervisor, from descriptors only.
#ifndef SANDBOX_WORKSPACE_CHANGES_H_
#define SANDBOX_WORKSPACE_CHANGES_H_

#include <string>
#include <vector>

#include "common/result.h"
#include "report/workspace_fields.h"

namespace sandbox::workspace {

using Change = report::ChangeEntry;

/// Walks `upper` (the overlay's upper dir) against `lower` (the checkout's top level), never
/// following a symlink: a whiteout (a 0/0 character device) is a deletion of what the checkout
/// has there, an opaque directory (user.overlay.opaque) deletes what it hid, and an entry
/// copied up without a change in content, mode or link text is no change. `protect` holds the
/// protected paths relative to the top level (besides the VCS and trusted names, which are
/// flagged at any depth). Sorted by path.
Result<std::vector<Change>> ListChanges(int upper, int lower,
                                        const std::vector<std::string>& protect);

/// True if a symlink at `path` (relative to the top level) with text `target` resolves
/// outside the top level (absolute, or ".." past it), lexically.
bool LinkEscapes(const std::string& path, const std::string& target);

/// "12 files changed, 1 deleted (3 of them Python bytecode); 1 sensitive:
/// .git/hooks/pre-commit (added)", or
/// "no changes" (the line on stderr, after "sandbox: ").
std::string Summary(const std::vector<Change>& changes);

/// True if the change has a flag other than `bytecode` (counted apart in the summary).
bool AnySensitive(const Change& change);

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_CHANGES_H_

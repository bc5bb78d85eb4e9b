// The change list as a git-style patch (`--changes patch=FILE`, `sandbox diff`): unified diffs
// for text, git's binary literal patches for the rest, modes and symlinks as git writes them,
// so `git apply` takes it. Reads the new content from the upper dir and the old from the
// checkout, both by descriptor with no symlink followed.
#ifndef SANDBOX_WORKSPACE_PATCH_H_
#define SANDBOX_WORKSPACE_PATCH_H_

#include <string>
#include <vector>

#include "common/result.h"
#include "workspace/changes.h"

namespace sandbox::workspace {

struct PatchRequest {
  int checkout = -1;               // the checkout's top level: the old content
  int source = -1;                 // the upper dir: the new content
  std::vector<std::string> paths;  // only these and below; empty: everything
  bool binary_as_line = false;     // `sandbox diff`: "Binary files a/P and b/P differ"
};

/// The patch text. Empty directories have no place in a git patch and are left out, as are a
/// directory's mode changes; devices, fifos and sockets too (never applied either).
Result<std::string> MakePatch(const std::vector<Change>& changes, const PatchRequest& request);

/// A unified diff of two texts (three lines of context, one hunk per run of changes) with
/// "\ No newline at end of file" where git writes it. Empty when they are equal.
std::string UnifiedHunks(const std::string& old_text, const std::string& new_text);

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_PATCH_H_

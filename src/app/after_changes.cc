#include "app/after_changes.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/exit_status.h"
#include "common/unique_fd.h"
#include "common/write_all.h"
#include "workspace/apply.h"
#include "workspace/kept.h"
#include "workspace/patch.h"

namespace sandbox::app {
namespace {

int WritePatch(const std::string& file, const workspace::Layout& layout, int upper,
               const std::vector<workspace::Change>& changes) {
  workspace::PatchRequest request;
  request.checkout = layout.root_fd.get();
  request.source = upper;
  auto patch = workspace::MakePatch(changes, request);
  if (!patch) {
    std::fprintf(stderr, "sandbox: cannot make the patch: %s\n", patch.error().ToString().c_str());
    return kExitSandboxFailure;
  }
  UniqueFd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (!out || !WriteAll(out.get(), *patch)) {
    std::fprintf(stderr, "sandbox: cannot write the patch %s: %s\n", file.c_str(),
                 std::strerror(errno));
    return kExitSandboxFailure;
  }
  return 0;
}

}  // namespace

void PrintApplyProblems(const std::vector<std::string>& skipped,
                        const std::vector<std::string>& refused,
                        const std::vector<std::string>& conflicts) {
  if (!skipped.empty()) {
    std::fprintf(stderr,
                 "sandbox: not applied: %zu Python bytecode file%s (%s%s): Python compiles "
                 "them again from the sources; --include-protected applies them\n",
                 skipped.size(), skipped.size() == 1 ? "" : "s", skipped[0].c_str(),
                 skipped.size() > 1 ? ", ..." : "");
  }
  for (const std::string& r : refused)
    std::fprintf(stderr, "sandbox: not applied: %s\n", r.c_str());
  for (const std::string& c : conflicts) std::fprintf(stderr, "sandbox: %s\n", c.c_str());
  if (!conflicts.empty()) {
    std::fprintf(stderr,
                 "sandbox: nothing was applied: the checkout changed since the run began\n");
  }
}

int AfterChanges(const cli::WorkspaceRequest& request, const workspace::Layout& layout, int upper,
                 const std::vector<workspace::Change>& changes, int code,
                 const std::string& run_name) {
  if (request.keep_changes) {
    auto kept =
        workspace::KeepChanges(workspace::KeptRunsDir(), run_name, layout.root, upper, changes);
    if (kept) {
      std::fprintf(stderr,
                   "sandbox: changes kept in %s: sandbox changes, diff, apply or discard %s\n",
                   kept->c_str(), run_name.c_str());
    } else {
      std::fprintf(stderr, "sandbox: cannot keep the changes: %s\n",
                   kept.error().ToString().c_str());
      if (code == 0) code = kExitSandboxFailure;
    }
  }
  if (!request.changes) return code;
  const std::string& mode = *request.changes;
  if (mode.rfind("patch=", 0) == 0) {
    int written = WritePatch(mode.substr(6), layout, upper, changes);
    return code == 0 ? written : code;
  }
  if (mode == "fail") {
    if (changes.empty() || code != 0) return code;
    std::fprintf(stderr, "sandbox: --changes fail: the job changed the checkout (exit %d)\n",
                 kExitWorkspaceChanged);
    return kExitWorkspaceChanged;
  }
  // apply, after a successful job only.
  if (code != 0) {
    if (!changes.empty()) {
      std::fprintf(stderr, "sandbox: the job failed: its changes were not applied\n");
    }
    return code;
  }
  if (changes.empty()) return code;
  workspace::ApplyRequest apply;
  UniqueFd checkout(::openat(layout.root_fd.get(), ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  apply.checkout = checkout.get();
  apply.source = upper;
  apply.include_protected = request.include_protected;
  auto result = workspace::Apply(changes, apply);
  if (!result) {
    std::fprintf(stderr, "sandbox: apply stopped: %s\n", result.error().ToString().c_str());
    return kExitWorkspaceChanged;
  }
  PrintApplyProblems(result->skipped, result->refused, result->conflicts);
  if (!result->applied.empty()) {
    std::fprintf(stderr, "sandbox: applied %zu change%s to %s\n", result->applied.size(),
                 result->applied.size() == 1 ? "" : "s", layout.root.c_str());
  }
  return result->refused.empty() && result->conflicts.empty() ? code : kExitWorkspaceChanged;
}

}  // namespace sandbox::app

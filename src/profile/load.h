// Reading profiles by name or path: lookup in the search path, following `extends` (cycles
// refused) and merging the chain. Parsing one file from memory is parse.h.
#ifndef SANDBOX_PROFILE_LOAD_H_
#define SANDBOX_PROFILE_LOAD_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "profile/parse.h"
#include "profile/spec.h"

namespace sandbox::profile {

/// Finds the file for `name_or_path`:
///  - with a '/', a path (relative to host.cwd) that must be a regular file;
///  - ending in ".toml", that file relative to host.cwd if it exists, else the name without
///    the suffix, as below;
///  - otherwise a name: the first <dir>/<name>.toml of host.search_dirs that is a regular file.
/// Returns the path (absolute when host.cwd is), or an Error without a location naming every
/// file it tried. Only stat(2)s; never throws.
Result<std::string> Locate(std::string_view name_or_path, const HostContext& host);

/// All problems of a whole chain, every file's errors in file order, base files after the
/// files extending them.
struct LoadResult {
  ProfileSpec spec;  // complete only when `errors` is empty
  std::vector<Error> errors;

  bool ok() const { return errors.empty(); }
  /// The spec, or the first error.
  Result<ProfileSpec> TakeSpec() &&;
};

/// Locates `name_or_path` (as Locate), reads and parses it, then follows `extends`: a name
/// through host.search_dirs (skipping the extending file itself, so ~/.config/.../base.toml
/// may say extends = "base" to build on the installed base), a path relative to the
/// extending file's directory. Refuses cycles and files over 1 MiB. Merges the chain with
/// MergeInto, root first. Keeps going after errors so a file's every error is reported;
/// stops following `extends` where a file is missing or unreadable. Never throws.
LoadResult Load(std::string_view name_or_path, const HostContext& host);

/// Several profiles composed left to right (`--profile ci --profile node`): each is found and
/// its `extends` chain followed as Load does (so every one keeps its own lookup rules), then
/// Compose (compose.h) folds the chains into one spec, a file met twice applied once. One
/// name is Load. All errors of all files, or the composition's one conflict. Never throws.
LoadResult LoadAll(const std::vector<std::string>& names_or_paths, const HostContext& host);

}  // namespace sandbox::profile

#endif  // SANDBOX_PROFILE_LOAD_H_

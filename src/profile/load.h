// Reading profiles: one file from text (Parse), or a profile by name or path with its
// `extends` chain resolved and merged (Load). The only place toml++ is used.
#ifndef SANDBOX_PROFILE_LOAD_H_
#define SANDBOX_PROFILE_LOAD_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "profile/spec.h"

namespace sandbox::profile {

/// Parses one file's text. `extends` is returned in *extends (empty if none) and not followed.
/// Returns every error found, each with file:line:col, the source line and a hint; never
/// throws.
struct ParseResult {
  ProfileSpec spec;
  std::string extends;
  SourceLocation extends_where;
  std::vector<Error> errors;
};
ParseResult Parse(std::string_view text, std::string_view file_name, const HostContext& host);

/// Finds `name_or_path`: an existing path if it contains '/' or ends in .toml, else
/// <dir>/<name>.toml in host.search_dirs.
Result<std::string> Locate(std::string_view name_or_path, const HostContext& host,
                           std::string_view relative_to = {});

/// Locates, parses, follows `extends` (cycles refused) and merges: scalars of the extending
/// profile override, mounts append in order, env.set merges key by key, env.pass/unset and
/// limits append. All errors of all files are returned.
struct LoadResult {
  ProfileSpec spec;
  std::vector<Error> errors;
  bool ok() const { return errors.empty(); }
};
LoadResult Load(std::string_view name_or_path, const HostContext& host);

}  // namespace sandbox::profile

#endif  // SANDBOX_PROFILE_LOAD_H_

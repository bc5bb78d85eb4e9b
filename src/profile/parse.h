// One profile file: TOML text -> ProfileSpec, validated strictly. Every error carries
// file:line:col and the offending source line (Error::excerpt); `extends` is not followed.
#ifndef SANDBOX_PROFILE_PARSE_H_
#define SANDBOX_PROFILE_PARSE_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "profile/spec.h"

namespace sandbox::profile {

/// Every problem of one file, in file order (line, then column).
struct ParseResult {
  ProfileSpec spec;  // complete only when `errors` is empty
  std::vector<Error> errors;

  bool ok() const { return errors.empty(); }
  /// The spec, or the first error.
  Result<ProfileSpec> TakeSpec() &&;
};

/// Parses one file's text. `file_name` is used in locations and gives ${PROFILE_DIR} (its
/// directory; host.cwd when it has no '/'). ${VARS} are expanded from `host`; `extends` is
/// stored in spec.extends, not followed. Does no I/O and never throws: toml++'s parse_error
/// becomes an Error like the others, and anything else thrown (bad_alloc) becomes an Error
/// without a location.
ParseResult Parse(std::string_view text, std::string_view file_name, const HostContext& host);

/// Parse() reduced to its first error; the entry point of the fuzzer.
Result<ProfileSpec> ParseString(std::string_view text, std::string_view file_name,
                                const HostContext& host);

/// Ninja-style rendering of an error from this module:
///   cc.toml:14:1: unknown key "hostnme" in [sandbox]; did you mean "hostname"?
///   hostnme = "x"
///   ^
/// The caret sits under where->column (columns count code points, as toml++ does); tabs in
/// the excerpt are repeated in the caret line so it lines up in a terminal. No trailing
/// newline. Errors without a line number (a profile not found) render as Error::ToString().
std::string FormatProfileError(const Error& error);

}  // namespace sandbox::profile

#endif  // SANDBOX_PROFILE_PARSE_H_

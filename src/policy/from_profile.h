// Folding a profile under the command line: the profile's settings come first and the flags
// given with --profile apply after them, in order (docs/profiles.md, "Precedence").
#ifndef SANDBOX_POLICY_FROM_PROFILE_H_
#define SANDBOX_POLICY_FROM_PROFILE_H_

#include "cli/options.h"
#include "common/result.h"
#include "policy/build.h"
#include "profile/spec.h"

namespace sandbox::policy {

/// The options a run gets from `profile` plus `flags`: scalars from flags win, mounts and
/// environment edits of the profile come before the flags', limits likewise. Values that are
/// wrong in the profile fail here with their file:line:col.
Result<cli::CliOptions> CombineWithProfile(const profile::ProfileSpec& profile,
                                           const cli::CliOptions& flags, const Caller& caller);

}  // namespace sandbox::policy

#endif  // SANDBOX_POLICY_FROM_PROFILE_H_

// Folding a profile over the one it extends (docs/profiles.md, "extends").
#ifndef SANDBOX_PROFILE_MERGE_H_
#define SANDBOX_PROFILE_MERGE_H_

#include "profile/spec.h"

namespace sandbox::profile {

/// Merges `derived` (the file that says `extends`) over `base`, keeping every value's origin:
/// scalars of `derived` replace those of `base` (env.clear included); mounts append after
/// the base's; env.set merges name by name, a name set by both keeping its place with the
/// derived value; env.pass, env.deny and env.unset append without duplicates. A variable name
/// that `derived` mentions in pass, set or unset is removed from the base's other two lists
/// (a pass entry from the base's deny too, and a deny entry from the base's pass), so the
/// derived profile decides it. chain, path and extends become those of `derived`
/// appended to / replacing the base's; `name` is left alone.
void MergeInto(ProfileSpec& base, ProfileSpec derived);

}  // namespace sandbox::profile

#endif  // SANDBOX_PROFILE_MERGE_H_

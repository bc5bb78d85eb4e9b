// Composing several profiles (`--profile ci --profile node`): their extends chains folded left
// to right with the `extends` rules inside each chain and conflict rules between them
// (docs/profiles.md, "Composing profiles").
#ifndef SANDBOX_PROFILE_COMPOSE_H_
#define SANDBOX_PROFILE_COMPOSE_H_

#include <string>
#include <vector>

#include "common/result.h"
#include "profile/spec.h"

namespace sandbox::profile {

/// One profile of a composition: its `extends` chain as parsed, not yet merged.
struct ComposePart {
  std::string label;               // as --profile named it: "ci", "./my.toml"
  std::vector<ProfileSpec> files;  // the chain, root first; each spec's `path` is its file
  std::vector<std::string> keys;   // each file's identity (its real path), same order
};

/// Folds `parts` in order into one spec. Each part's files are merged with MergeInto, root
/// first, except a file an earlier part already brought in (the `base` every shipped profile
/// extends is applied once). A value an earlier file of the same part wrote is refined as
/// `extends` does; against a value another part wrote:
///  - scalars ([sandbox], env.clear, workspace mode/vcs, seccomp policy/action), env.set values,
///    limits, caches of one name and mounts at one target must agree: equal ones merge, a
///    differing one is an error naming both profiles, the key and both locations;
///  - a variable one part sets and another passes (by name) or unsets is an error;
///  - env.pass and env.deny are unions in which deny always wins: a name or pattern one part
///    passes is dropped when another part's deny matches it (a pattern: names it exactly);
///  - workspace protect wins over another part's unprotect;
///  - a syscall one part denies and another allows is an error.
/// The result's `names` are the labels; `name` is them joined with ", "; `chain` lists every
/// file applied, in order.
Result<ProfileSpec> Compose(std::vector<ComposePart> parts);

}  // namespace sandbox::profile

#endif  // SANDBOX_PROFILE_COMPOSE_H_

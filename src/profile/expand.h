// ${VARIABLE} expansion in profile strings: ${PWD} ${HOME} ${USER} ${UID} ${GID}
// ${PROFILE_DIR} ${env:NAME}, with $$ for a literal dollar sign.
#ifndef SANDBOX_PROFILE_EXPAND_H_
#define SANDBOX_PROFILE_EXPAND_H_

#include <string>
#include <string_view>

#include "common/result.h"
#include "profile/spec.h"

namespace sandbox::profile {

/// Expands every ${NAME} in `text` from `host`; ${PROFILE_DIR} is `profile_dir`. Fails, with
/// no location (the caller knows where `text` was written), on the first unknown variable,
/// ${env:NAME} of an unset NAME, a variable whose value is empty on this host, an unclosed
/// "${", or a "$" followed by anything but "{" or "$". Never throws anything but bad_alloc.
Result<std::string> ExpandVariables(std::string_view text, const HostContext& host,
                                    std::string_view profile_dir);

}  // namespace sandbox::profile

#endif  // SANDBOX_PROFILE_EXPAND_H_

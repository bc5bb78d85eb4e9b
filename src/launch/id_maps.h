// Writing a child's uid_map/gid_map from the parent (user_namespaces(7)).
#ifndef SANDBOX_LAUNCH_ID_MAPS_H_
#define SANDBOX_LAUNCH_ID_MAPS_H_

#include <sys/types.h>

#include "common/result.h"
#include "policy/policy.h"

namespace sandbox::launch {

/// Maps identity.inner_* to identity.outer_* (one id each) for process `pid`, after denying
/// setgroups, which an unprivileged writer of gid_map must do first.
Result<void> WriteIdMaps(pid_t pid, const policy::Identity& identity);

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_ID_MAPS_H_

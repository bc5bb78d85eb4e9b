// Capability names as bubblewrap's --cap-add/--cap-drop take them ("CAP_NET_ADMIN",
// "net_admin", a number, or "ALL"), without linking libcap.
#ifndef SANDBOX_BWRAP_CAPABILITIES_H_
#define SANDBOX_BWRAP_CAPABILITIES_H_

#include <optional>
#include <string_view>

namespace sandbox::bwrap {

/// The capability's number, or nullopt for a name the kernel headers do not know. Case does
/// not matter and the "cap_" prefix is optional, as for libcap's cap_from_name(3).
std::optional<int> CapabilityFromName(std::string_view name);

}  // namespace sandbox::bwrap

#endif  // SANDBOX_BWRAP_CAPABILITIES_H_

#include "bwrap/capabilities.h"

#include <cctype>
#include <charconv>
#include <string>

namespace sandbox::bwrap {
namespace {

// capability.h's order: the index is the capability's number.
constexpr const char* kNames[] = {
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
};

}  // namespace

std::optional<int> CapabilityFromName(std::string_view name) {
  int number = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), number);
  if (ec == std::errc() && end == name.data() + name.size() && !name.empty()) {
    if (number >= 0 && number < 64) return number;
    return std::nullopt;
  }
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("cap_", 0) == 0) lower.erase(0, 4);
  for (int i = 0; i < static_cast<int>(std::size(kNames)); ++i) {
    if (lower == kNames[i]) return i;
  }
  return std::nullopt;
}

}  // namespace sandbox::bwrap

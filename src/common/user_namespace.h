// Which user namespace the process is in, and how its uids map to the one outside: what a run
// needs to know when uid N here is not the host's uid N (unshare -r, a sandbox in a sandbox).
#ifndef SANDBOX_COMMON_USER_NAMESPACE_H_
#define SANDBOX_COMMON_USER_NAMESPACE_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace sandbox {

/// The inode number of the initial user namespace's /proc/PID/ns/user (the kernel's
/// PROC_USER_INIT_INO): fixed, so one stat tells a process whether it is in it.
inline constexpr ino_t kInitialUserNamespaceInode = 0xEFFFFFFDU;

/// The uid that `uid` of a user namespace is outside it, from that namespace's uid_map text
/// ("INSIDE OUTSIDE COUNT" lines); nullopt when no line maps it.
std::optional<uid_t> OutsideUid(uid_t uid, std::string_view uid_map);

/// The inode of the caller's user namespace when it is not the initial one; nullopt in the
/// initial one, or when /proc cannot tell.
std::optional<ino_t> OwnUserNamespace();

/// This process's /proc/self/uid_map; "" when unreadable.
std::string ReadOwnUidMap();

/// Inside a user namespace that does not map it, the uid (kernel.overflowuid) that every file
/// of an owner not mapped here shows: the host's root among them, and any other user outside.
/// nullopt in the initial namespace, or where the overflow uid is itself a mapped user.
std::optional<uid_t> UnmappedOwnerUid();

}  // namespace sandbox

#endif  // SANDBOX_COMMON_USER_NAMESPACE_H_

// Landlock constants and ABI probing, defined here rather than taken from <linux/landlock.h>
// because Debian 12's kernel headers predate the rights and scopes of later ABIs.
#ifndef SANDBOX_COMMON_LANDLOCK_ABI_H_
#define SANDBOX_COMMON_LANDLOCK_ABI_H_

#include <cstdint>

namespace sandbox::landlock {

inline constexpr uint64_t kExecute = 1ULL << 0;
inline constexpr uint64_t kWriteFile = 1ULL << 1;
inline constexpr uint64_t kReadFile = 1ULL << 2;
inline constexpr uint64_t kReadDir = 1ULL << 3;
inline constexpr uint64_t kRemoveDir = 1ULL << 4;
inline constexpr uint64_t kRemoveFile = 1ULL << 5;
inline constexpr uint64_t kMakeChar = 1ULL << 6;
inline constexpr uint64_t kMakeDir = 1ULL << 7;
inline constexpr uint64_t kMakeReg = 1ULL << 8;
inline constexpr uint64_t kMakeSock = 1ULL << 9;
inline constexpr uint64_t kMakeFifo = 1ULL << 10;
inline constexpr uint64_t kMakeBlock = 1ULL << 11;
inline constexpr uint64_t kMakeSym = 1ULL << 12;
inline constexpr uint64_t kRefer = 1ULL << 13;     // ABI 2
inline constexpr uint64_t kTruncate = 1ULL << 14;  // ABI 3
inline constexpr uint64_t kIoctlDev = 1ULL << 15;  // ABI 5
// Connecting or sending to a pathname unix socket (ABI 9, Linux 7.1). Sockets created inside
// the same Landlock domain are exempt; all others need the right on their path.
inline constexpr uint64_t kResolveUnix = 1ULL << 16;

inline constexpr uint64_t kNetBindTcp = 1ULL << 0;     // ABI 4
inline constexpr uint64_t kNetConnectTcp = 1ULL << 1;  // ABI 4

inline constexpr uint64_t kScopeAbstractUnixSocket = 1ULL << 0;  // ABI 6
inline constexpr uint64_t kScopeSignal = 1ULL << 1;              // ABI 6

/// Rights that make sense on a non-directory (the kernel refuses others there).
inline constexpr uint64_t kFileRights =
    kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev | kResolveUnix;

inline constexpr uint64_t kRead = kExecute | kReadFile | kReadDir;
// Where the job may write it may also reach unix sockets: the sandbox's own, not the host's.
inline constexpr uint64_t kWrite = kRead | kWriteFile | kRemoveDir | kRemoveFile | kMakeDir |
                                   kMakeReg | kMakeSock | kMakeFifo | kMakeSym | kRefer |
                                   kTruncate | kResolveUnix;

/// Every filesystem right the given ABI knows.
uint64_t HandledFsRights(int abi) noexcept;

/// Scopes the ABI knows (0 before ABI 6).
uint64_t HandledScopes(int abi) noexcept;

/// The kernel's Landlock ABI version, 0 when Landlock is absent or disabled.
int ProbeAbi() noexcept;

}  // namespace sandbox::landlock

#endif  // SANDBOX_COMMON_LANDLOCK_ABI_H_

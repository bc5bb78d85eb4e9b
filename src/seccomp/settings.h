// What a run asks of the seccomp filter, as plain data: the Policy holds one of these (or none)
// and the launch side compiles it. Names are validated when the Policy is built.
#ifndef SANDBOX_SECCOMP_SETTINGS_H_
#define SANDBOX_SECCOMP_SETTINGS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sandbox::seccomp {

enum class Action {
  kErrno,  // the call fails (EPERM, or the entry's own errno) and the job goes on
  kKill,   // the process that made the call dies of SIGSYS
  kLog,    // the call goes through; it is only counted and reported
};

const char* ActionName(Action action);

/// A unix socket's inode on the host: device and inode number as stat(2) gives them.
struct SocketId {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool operator==(const SocketId&) const = default;
};

struct Settings {
  Action action = Action::kErrno;
  std::vector<std::string> deny;   // denied on top of the default list, every argument
  std::vector<std::string> allow;  // default entries not applied
  /// Unix sockets on read-only mounts the job may still connect and send to: those the run
  /// names (--bind-socket, type = "socket"); every other one there is refused.
  std::vector<SocketId> connectable;
  /// --isolation landlock without --share-net: no network namespace keeps the job off the
  /// network, so socket(2) is refused for every family but AF_UNIX (netlink too).
  bool unix_sockets_only = false;
  /// --isolation landlock: the host paths the job may write. A pathname unix socket elsewhere
  /// is a host service and refused, as one on a read-only mount is (nullopt: no such check).
  std::optional<std::vector<std::string>> socket_dirs;
  /// Landlock is not in force: write-opens go to the supervisor too, which refuses FIFOs and
  /// devices on read-only mounts (the FIFO fence, rules.h FifoFenceRules).
  bool fence_fifos = false;
};

}  // namespace sandbox::seccomp

#endif  // SANDBOX_SECCOMP_SETTINGS_H_

// The supervisor's end of SECCOMP_RET_USER_NOTIF: answers each call the filter hands over
// (see decide.h) and remembers the denials, by name, with the first process that made each.
#ifndef SANDBOX_SECCOMP_LISTENER_H_
#define SANDBOX_SECCOMP_LISTENER_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "seccomp/open_mediator.h"
#include "seccomp/settings.h"
#include "seccomp/socket_mediator.h"

struct seccomp_notif;
struct seccomp_notif_resp;

namespace sandbox::seccomp {

struct Denial {
  std::string syscall;
  uint64_t count = 0;
  std::optional<pid_t> first_pid;  // in the sandbox's pid namespace
  std::string first_comm;
};

/// The pid a process `host_pid` (as `proc_dir` shows it) has in its innermost pid namespace,
/// and its command name; for naming a caller while it is blocked in its call.
std::optional<pid_t> InnerPid(int proc_dir, pid_t host_pid);
std::string Comm(int proc_dir, pid_t host_pid);

class Listener {
 public:
  /// proc_dir: a descriptor of the /proc that shows the pid namespace this process lives in
  /// (notifications name callers by their pid there); -1 for "/proc".
  explicit Listener(Settings settings, int proc_dir = -1);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  /// Receives one notification on `fd` and answers it. False when there is nothing more to
  /// read there (every filtered process is gone, or the descriptor is not a listener).
  bool HandleOne(int fd);

  /// Socket calls the fence made for the caller wait here when they would block: call
  /// RetryParked(fd) within RetryTimeoutMs() (-1: none waiting) of the last call.
  int RetryTimeoutMs() const;
  void RetryParked(int fd) {
    sockets_.RetryParked(fd);
    opens_.RetryParked(fd);
  }

  /// The egress allow-list's decisions for inet destinations (not owned; null: none).
  void set_egress_router(EgressRouter* router) { sockets_.set_egress_router(router); }

  /// In order of first occurrence.
  const std::vector<Denial>& denials() const { return denials_; }

 private:
  // Counts a denial of `name`, naming the caller while its notification is still live. False
  // when the caller is gone already.
  bool CountDenial(int fd, const std::string& name);

  Settings settings_;
  int proc_dir_;
  SocketMediator sockets_;
  OpenMediator opens_;
  seccomp_notif* request_ = nullptr;  // request_size_ bytes
  size_t request_size_ = 0;
  seccomp_notif_resp* response_ = nullptr;
  std::vector<Denial> denials_;
};

}  // namespace sandbox::seccomp

#endif  // SANDBOX_SECCOMP_LISTENER_H_

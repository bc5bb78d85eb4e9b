// The socket fence's supervisor side: connect(2), sendto(2) with an address, sendmsg(2) and
// sendmmsg(2), handed over by the filter, are made here on the job's own socket (taken with
// pidfd_getfd), with addresses, bytes and passed descriptors copied once, so nothing the job
// changes after the check reaches the kernel's call. A pathname unix socket on a read-only mount
// is refused unless the run names it (docs/seccomp.md).
#ifndef SANDBOX_SECCOMP_SOCKET_MEDIATOR_H_
#define SANDBOX_SECCOMP_SOCKET_MEDIATOR_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.h"
#include "seccomp/egress_router.h"
#include "seccomp/message_copy.h"
#include "seccomp/settings.h"

struct seccomp_notif;

namespace sandbox::seccomp {

class SocketMediator {
 public:
  /// The calls this handles, by the names SyscallName gives; socketcall only for its CONNECT,
  /// SENDTO, SENDMSG and SENDMMSG calls (i386).
  static bool Handles(std::string_view syscall, uint64_t first_arg);

  /// proc_dir: a /proc showing the callers' pids (-1: "/proc"); not owned. `connectable`: unix
  /// sockets on read-only mounts the run named. `log_only`: refused calls go through, counted.
  /// `socket_dirs` (--isolation landlock): only sockets beneath these host paths (or named)
  /// may be reached; nullopt: no such check.
  SocketMediator(int proc_dir, std::vector<SocketId> connectable, bool log_only,
                 std::optional<std::vector<std::string>> socket_dirs = std::nullopt);
  SocketMediator(const SocketMediator&) = delete;
  SocketMediator& operator=(const SocketMediator&) = delete;

  struct Answer {
    bool done = true;  // false: parked, answered later by RetryParked
    int64_t value = 0;
    int error = 0;        // the call's errno; 0: it returns `value`
    bool denied = false;  // the fence refused it (or, under log_only, would have)
  };
  enum class Disposition {
    kAnswer,  // answer the caller with `answer` now
    kParked,  // it would block: RetryParked answers it (answer.denied still counts)
    kGone,    // the caller is gone; nothing to answer
  };

  /// Makes the call `request` stands for on behalf of the caller (`fd` is the listener).
  Disposition Handle(int fd, const seccomp_notif& request, std::string_view syscall,
                     Answer* answer);

  /// With an egress allow-list: inet connects and sends are decided by `router` (not owned;
  /// null: as before).
  void set_egress_router(EgressRouter* router) { router_ = router; }

  /// Sends `answer` for notification `id` on the listener `fd` (a gone caller is ignored).
  static void Respond(int fd, uint64_t id, const Answer& answer);

  /// Tries the parked calls again and answers those done; drops those whose caller has gone.
  void RetryParked(int fd);

  /// Milliseconds until RetryParked should run again; -1 when nothing is parked.
  int RetryTimeoutMs() const;

 private:
  // A connect under way (a TCP handshake) is looked at often, it usually ends within a
  // millisecond; a full backlog or queue waits for the other side, which may take long.
  static constexpr int kHandshakeRetryMs = 1;
  static constexpr int kRetryMs = 5;
  // Descriptors passed with SCM_RIGHTS that parked calls may hold in all (each message may
  // pass 253): the supervisor's own table must keep room.
  static constexpr size_t kMaxParkedPassed = 256;

  enum class Call { kConnect, kSendto, kSendmsg, kSendmmsg };

  // One message to send (connect: its address only): the address to use (a unix path turned
  // into /proc/self/fd/N of `target`), the bytes, control data in this process's layout with
  // the supervisor's copies of the descriptors passed.
  struct Message {
    std::vector<char> address;
    UniqueFd target;  // O_PATH of the unix socket named, when the address is a path
    std::vector<char> data;
    std::vector<char> control;
    std::vector<UniqueFd> passed;
    int error = 0;        // what this message gets without being sent (a copy error, a refusal)
    bool fenced = false;  // `error` is the fence's refusal (or, under log_only, would have been)
  };

  // One call being made for the job on its own socket.
  struct Pending {
    uint64_t id = 0;
    pid_t pid = 0;  // the calling thread, in proc_dir_'s pid namespace
    Call call = Call::kConnect;
    int domain = 0;  // the socket's address family
    int type = 0;    // SOCK_STREAM, SOCK_DGRAM...
    UniqueFd pidfd;
    UniqueFd socket;
    std::vector<Message> messages;  // connect, sendto, sendmsg: one
    int flags = 0;                  // the send calls'
    bool blocking = false;          // the caller waits (blocking socket, no MSG_DONTWAIT)
    bool in_progress = false;       // a connect the kernel finishes (EINPROGRESS): wait for POLLOUT
    size_t sent = 0;                // sendmmsg: messages sent so far
    UniqueFd memory;                // sendmmsg: the caller's memory, for each msg_len
    uint64_t vector = 0;            // sendmmsg: the caller's array of struct mmsghdr
    bool compat = false;            // the caller's structures are 32-bit (i386, x32)
  };

  // The call's arguments, the caller's socket and bytes into `p`: 0, an errno for the caller,
  // or kGone.
  int Prepare(int fd, const seccomp_notif& request, std::string_view syscall, Pending* p);
  // sendmsg, sendmmsg: the messages themselves, copied from the caller's memory.
  void CopyMessages(int memory, uint64_t address, size_t count, int type, Pending* p);
  // SCM_RIGHTS become the supervisor's copies of the caller's descriptors; the value-only
  // IP/IPv6/UDP options pass; anything else is refused (EPERM, fenced): see the .cc.
  int TranslateControl(const Pending& p, const std::vector<ControlMessage>& in, Message* m);
  // The fence: a pathname address of a unix socket is resolved in the caller's root and
  // refused (EACCES, fenced) on a read-only mount unless named; the address becomes the
  // resolved descriptor's. 0, or the errno that ends the message here.
  int CheckUnixPath(const Pending& p, Message* m);
  bool BeneathSocketDirs(int target) const;
  // Makes the call once, never blocking; answer.done false when the caller must wait.
  Answer Attempt(Pending* p);
  // The send calls' part of Attempt: each message from p->sent on.
  Answer Send(Pending* p);
  bool Valid(int fd, uint64_t id) const;
  int OpenInProc(pid_t pid, const char* what, int flags) const;

  int proc_dir_;
  UniqueFd own_proc_;
  std::vector<SocketId> connectable_;
  std::optional<std::vector<std::string>> socket_dirs_;
  bool log_only_;
  std::vector<Pending> parked_;
  EgressRouter* router_ = nullptr;
  // The egress router's part of Handle: 0, or the errno that ends the message.
  int RouteInet(Pending* p, Message* m);
};

}  // namespace sandbox::seccomp

#endif  // SANDBOX_SECCOMP_SOCKET_MEDIATOR_H_

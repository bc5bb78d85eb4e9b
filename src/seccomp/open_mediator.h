// The FIFO fence's supervisor side, for runs without Landlock: the filter hands over every
// open(2), openat(2) and creat(2) that asks for write access and every openat2(2); the open is
// made here, as the job (as_the_job.h), on a path resolved once in the job's root
// (path_walk.h), and the opened file is given to the job with SECCOMP_IOCTL_NOTIF_ADDFD. A
// FIFO or device on a read-only mount (a host pipe or device in a read-only bind) is refused
// with EACCES, as Landlock refuses it (docs/seccomp.md, "FIFOs").
#ifndef SANDBOX_SECCOMP_OPEN_MEDIATOR_H_
#define SANDBOX_SECCOMP_OPEN_MEDIATOR_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.h"

struct seccomp_notif;

namespace sandbox::seccomp {

class OpenMediator {
 public:
  /// The calls this handles, by the names SyscallName gives.
  static bool Handles(std::string_view syscall);

  /// proc_dir: a /proc showing the callers' pids and this process as "self" (-1: "/proc");
  /// not owned. `log_only`: refused opens go through, counted.
  OpenMediator(int proc_dir, bool log_only);
  OpenMediator(const OpenMediator&) = delete;
  OpenMediator& operator=(const OpenMediator&) = delete;

  struct Answer {
    UniqueFd file;  // the opened file for the caller; else `error`
    int error = 0;
    bool cloexec = false;  // the caller asked for O_CLOEXEC
    bool denied = false;   // the fence refused it (or, under log_only, would have)
  };
  enum class Disposition { kAnswer, kParked, kGone };

  /// Makes the open `request` stands for on behalf of the caller (`fd` is the listener).
  Disposition Handle(int fd, const seccomp_notif& request, std::string_view syscall,
                     Answer* answer);

  /// Gives `answer` to notification `id`: the file as the call's result, or the errno.
  static void Respond(int fd, uint64_t id, const Answer& answer);

  /// FIFO write-opens waiting for a reader: tried again, answered once one came.
  void RetryParked(int fd);
  int RetryTimeoutMs() const { return parked_.empty() ? -1 : kRetryMs; }

 private:
  static constexpr int kRetryMs = 5;
  static constexpr size_t kMaxParked = 64;  // descriptors of the supervisor each holds one

  struct Request {
    pid_t pid = 0;  // the calling thread, in proc_dir_'s pid namespace
    int dirfd = 0;
    std::string path;
    uint64_t flags = 0;
    uint64_t mode = 0;
    uint64_t resolve = 0;
  };
  struct Parked {
    uint64_t id = 0;
    UniqueFd target;  // O_PATH of the FIFO
    int flags = 0;    // for the reopen, O_NONBLOCK included
    bool cloexec = false;
  };

  int Read(int fd, const seccomp_notif& request, std::string_view syscall, Request* r) const;
  // The open itself; 0 with answer->file set, kParked, or an errno.
  int Open(const Request& r, int pidfd, Answer* answer, Parked* parked);
  // Reopens the O_PATH `target` with `flags` (never blocking on a FIFO: EWOULDBLOCK-like
  // ENXIO is returned for the caller to wait); the result into *out.
  int Reopen(int target, int flags, bool nonblock_asked, UniqueFd* out) const;
  std::string ProcSelf(pid_t tid, int proc_root, bool thread) const;
  int ControllingTerminal(pid_t pid, int pidfd, int flags, UniqueFd* out) const;
  bool Valid(int fd, uint64_t id) const;

  int proc_dir_;
  UniqueFd own_proc_;
  bool log_only_;
  std::vector<Parked> parked_;
};

}  // namespace sandbox::seccomp

#endif  // SANDBOX_SECCOMP_OPEN_MEDIATOR_H_

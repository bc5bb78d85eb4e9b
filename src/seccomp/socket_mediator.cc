#include "seccomp/socket_mediator.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/syscalls.h"

namespace sandbox::seccomp {
namespace {

constexpr uint32_t kSocketcallConnect = 3;  // <linux/net.h> SYS_CONNECT
constexpr uint32_t kSocketcallSendto = 11;  // SYS_SENDTO
constexpr unsigned kPidfdThread = O_EXCL;   // PIDFD_THREAD (Linux 6.9)
// sendto's bytes are copied: a stream socket gets at most this much per call (a short write),
// a datagram larger than this is refused with EMSGSIZE as one too big for the socket would be.
constexpr size_t kMaxCopy = size_t{4} << 20;
// Calls waiting because they would block; beyond this many, EAGAIN. Each holds two or three
// descriptors of the supervisor, which must not run out of them (RLIMIT_NOFILE, often 1024).
constexpr size_t kMaxParked = 64;
// The notification's caller is gone: nothing to answer.
constexpr int kGone = -1;

// The calls are made as the job would make them: without effective capabilities (a supervisor
// started by root has them on the host, and `sandbox enter` has them in the run's user
// namespace; the job has none, and same ids otherwise, so permission checks match the job's),
// and, when a unix socket is named by descriptor, from the /proc whose "self" is this process
// (after `sandbox enter` joined the run's mount namespace, "/proc" is the run's).
class AsTheJob {
 public:
  AsTheJob(int proc_dir, bool enter_proc) {
    header_.version = _LINUX_CAPABILITY_VERSION_3;
    if (::syscall(SYS_capget, &header_, saved_) != 0) return;
    if (saved_[0].effective != 0 || saved_[1].effective != 0) {
      struct __user_cap_data_struct none[2];
      std::memcpy(none, saved_, sizeof(none));
      none[0].effective = none[1].effective = 0;
      if (::syscall(SYS_capset, &header_, none) != 0) return;
      restore_caps_ = true;
    }
    if (enter_proc) {
      cwd_.Reset(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!cwd_ || ::fchdir(proc_dir) != 0) return;
    }
    ok_ = true;
  }
  ~AsTheJob() {
    // Back where the supervisor was; it opens nothing by a relative path, so a failure here
    // (the directory removed meanwhile) changes nothing it does later.
    if (cwd_ && ::fchdir(cwd_.get()) != 0) cwd_.Reset();
    if (restore_caps_) ::syscall(SYS_capset, &header_, saved_);
  }
  AsTheJob(const AsTheJob&) = delete;
  AsTheJob& operator=(const AsTheJob&) = delete;
  bool ok() const { return ok_; }

 private:
  struct __user_cap_header_struct header_ = {};
  struct __user_cap_data_struct saved_[2] = {};
  bool restore_caps_ = false;
  UniqueFd cwd_;
  bool ok_ = false;
};

// Tgid of a thread, from its status file; 0 if unknown.
pid_t ThreadGroupOf(int proc, pid_t tid) {
  std::string path = std::to_string(tid) + "/status";
  UniqueFd fd(::openat(proc, path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  char buf[1024];
  ssize_t n = ::read(fd.get(), buf, sizeof(buf) - 1);
  if (n <= 0) return 0;
  buf[n] = '\0';
  const char* at = std::strstr(buf, "\nTgid:");
  return at == nullptr ? 0 : static_cast<pid_t>(std::strtol(at + 6, nullptr, 10));
}

}  // namespace

bool SocketMediator::Handles(std::string_view syscall, uint64_t first_arg) {
  if (syscall == "connect" || syscall == "sendto") return true;
  uint32_t call = static_cast<uint32_t>(first_arg);
  return syscall == "socketcall" && (call == kSocketcallConnect || call == kSocketcallSendto);
}

SocketMediator::SocketMediator(int proc_dir, std::vector<SocketId> connectable, bool log_only)
    : proc_dir_(proc_dir), connectable_(std::move(connectable)), log_only_(log_only) {
  if (proc_dir_ < 0) {
    own_proc_.Reset(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
    proc_dir_ = own_proc_.get();
  }
}

int SocketMediator::OpenInProc(pid_t pid, const char* what, int flags) const {
  std::string path = std::to_string(pid) + "/" + what;
  return ::openat(proc_dir_, path.c_str(), flags);
}

bool SocketMediator::Valid(int fd, uint64_t id) const {
  return ::ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

void SocketMediator::Respond(int fd, uint64_t id, const Answer& answer) {
  struct seccomp_notif_resp response = {};
  response.id = id;
  response.val = answer.error != 0 ? 0 : answer.value;
  response.error = -answer.error;
  // ENOENT: the caller died meanwhile (a signal); nothing to answer.
  (void)::ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

int SocketMediator::Prepare(int fd, const seccomp_notif& request, std::string_view syscall,
                            Pending* p) {
  p->id = request.id;
  p->pid = static_cast<pid_t>(request.pid);
  uint64_t args[6];
  for (int i = 0; i < 6; ++i) args[i] = request.data.args[i];
  // The caller's memory is read once; whatever it writes there later never reaches the call.
  UniqueFd memory(OpenInProc(p->pid, "mem", O_RDONLY | O_CLOEXEC));
  // Opened, then checked: the pid named the caller, not a process that reused the number.
  if (!memory || !Valid(fd, request.id)) return kGone;
  auto read = [&memory](uint64_t address, void* out, size_t size) {
    if (size == 0) return true;
    return ::pread(memory.get(), out, size, static_cast<off_t>(address)) ==
           static_cast<ssize_t>(size);
  };
  if (syscall == "socketcall") {
    // i386: the arguments are 32-bit values in the caller's memory.
    bool connect = static_cast<uint32_t>(args[0]) == kSocketcallConnect;
    uint32_t packed[6] = {};
    if (!read(args[1], packed, (connect ? 3 : 6) * sizeof(uint32_t))) return EFAULT;
    for (int i = 0; i < 6; ++i) args[i] = packed[i];
    p->call = connect ? Call::kConnect : Call::kSendto;
  } else {
    p->call = syscall == "connect" ? Call::kConnect : Call::kSendto;
  }
  uint64_t address = p->call == Call::kConnect ? args[1] : args[4];
  int length = static_cast<int>(p->call == Call::kConnect ? args[2] : args[5]);
  if (p->call == Call::kSendto) p->flags = static_cast<int>(args[3]);
  // The kernel's own checks (move_addr_to_kernel): sendto ignores the length of no address.
  if (address == 0 && p->call == Call::kSendto) length = 0;
  if (length < 0 || static_cast<size_t>(length) > sizeof(sockaddr_storage)) return EINVAL;
  p->address.resize(static_cast<size_t>(length));
  if (!read(address, p->address.data(), p->address.size())) return EFAULT;

  // The job's socket itself, not its descriptor number: another thread may put a different
  // socket under that number at any time.
  long pidfd = ::syscall(SYS_pidfd_open, p->pid, kPidfdThread);
  if (pidfd < 0 && errno == EINVAL) {
    pidfd = ::syscall(SYS_pidfd_open, ThreadGroupOf(proc_dir_, p->pid), 0);
  }
  p->pidfd.Reset(static_cast<int>(pidfd));
  if (!p->pidfd || !Valid(fd, request.id)) return kGone;
  p->socket.Reset(
      static_cast<int>(::syscall(SYS_pidfd_getfd, p->pidfd.get(), static_cast<int>(args[0]), 0)));
  if (!p->socket) return errno == ESRCH ? kGone : errno;
  int type = 0;
  socklen_t size = sizeof(int);
  if (::getsockopt(p->socket.get(), SOL_SOCKET, SO_DOMAIN, &p->domain, &size) != 0 ||
      ::getsockopt(p->socket.get(), SOL_SOCKET, SO_TYPE, &type, &size) != 0) {
    return errno;  // ENOTSOCK
  }
  if (p->call == Call::kSendto) {
    size_t length_wanted = static_cast<size_t>(args[2]);
    if (length_wanted > kMaxCopy) {
      if (type != SOCK_STREAM) return EMSGSIZE;
      length_wanted = kMaxCopy;
    }
    p->data.resize(length_wanted);
    if (!read(args[1], p->data.data(), p->data.size())) return EFAULT;
  }
  int status = ::fcntl(p->socket.get(), F_GETFL);
  p->blocking = status >= 0 && (status & O_NONBLOCK) == 0 &&
                !(p->call == Call::kSendto && (p->flags & MSG_DONTWAIT) != 0);
  return 0;
}

bool SocketMediator::CheckUnixPath(Pending* p, Answer* answer) {
  constexpr size_t kPathAt = offsetof(sockaddr_un, sun_path);
  if (p->domain != AF_UNIX || p->address.size() <= kPathAt) return true;
  sa_family_t family;
  std::memcpy(&family, p->address.data(), sizeof(family));
  const char* name = p->address.data() + kPathAt;
  size_t room = p->address.size() - kPathAt;
  // Abstract names (a leading NUL) live in the socket's network namespace, not on a mount.
  if (family != AF_UNIX || name[0] == '\0') return true;
  std::string path(name, strnlen(name, room));

  // Resolved as the kernel would for the caller: in its root, relative ones from its cwd;
  // absolute symlinks stay inside that root (RESOLVE_IN_ROOT).
  if (path[0] != '/') {
    char cwd[PATH_MAX];
    std::string link = std::to_string(p->pid) + "/cwd";
    ssize_t n = ::readlinkat(proc_dir_, link.c_str(), cwd, sizeof(cwd) - 1);
    if (n <= 0 || cwd[0] != '/') {
      answer->error = ENOENT;
      return false;
    }
    path = std::string(cwd, static_cast<size_t>(n)) + "/" + path;
  }
  UniqueFd root(OpenInProc(p->pid, "root", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) {
    answer->error = ESRCH;
    return false;
  }
  {
    AsTheJob as_job(proc_dir_, false);
    if (!as_job.ok()) {
      answer->error = EPERM;
      return false;
    }
    p->target.Reset(sys::OpenAt2(root.get(), path.c_str(), O_PATH | O_CLOEXEC,
                                 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
  }
  if (!p->target) {
    answer->error = errno;
    return false;
  }
  struct stat st;
  struct statfs fs;
  if (::fstat(p->target.get(), &st) != 0 || ::fstatfs(p->target.get(), &fs) != 0) {
    answer->error = errno;
    return false;
  }
  if (!S_ISSOCK(st.st_mode)) {
    answer->error = ECONNREFUSED;  // what connect(2) says of a path that is not a socket
    return false;
  }
  SocketId id{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  bool named = std::find(connectable_.begin(), connectable_.end(), id) != connectable_.end();
  if ((fs.f_flags & ST_RDONLY) != 0 && !named) {
    // A read-only mount brings in what lies on the host; its sockets are the host's services.
    answer->denied = true;
    answer->error = EACCES;  // as Landlock's LANDLOCK_ACCESS_FS_RESOLVE_UNIX answers
    if (!log_only_) return false;
    answer->error = 0;
  }
  // From here the call names the socket by this descriptor: nothing swapped in at the path
  // since the check can be reached.
  sockaddr_un by_fd = {};
  by_fd.sun_family = AF_UNIX;
  int n = std::snprintf(by_fd.sun_path, sizeof(by_fd.sun_path), "self/fd/%d", p->target.get());
  p->address.assign(reinterpret_cast<const char*>(&by_fd),
                    reinterpret_cast<const char*>(&by_fd) + kPathAt + static_cast<size_t>(n) + 1);
  return true;
}

SocketMediator::Answer SocketMediator::Attempt(Pending* p) {
  Answer answer;
  AsTheJob as_job(proc_dir_, p->target.valid());
  if (!as_job.ok()) {
    answer.error = EPERM;
    return answer;
  }
  const auto* address = reinterpret_cast<const sockaddr*>(p->address.data());
  socklen_t length = static_cast<socklen_t>(p->address.size());
  int socket = p->socket.get();
  if (p->call == Call::kSendto) {
    // Never blocks here and never raises SIGPIPE here; the caller gets both below.
    ssize_t n =
        ::sendto(socket, p->data.data(), p->data.size(), p->flags | MSG_DONTWAIT | MSG_NOSIGNAL,
                 length == 0 ? nullptr : address, length);
    if (n >= 0) {
      answer.value = n;
      return answer;
    }
    int err = errno;
    if (p->blocking && (err == EAGAIN || err == EWOULDBLOCK)) {
      answer.done = false;
      return answer;
    }
    if (err == EPIPE && (p->flags & MSG_NOSIGNAL) == 0) {
      ::syscall(SYS_pidfd_send_signal, p->pidfd.get(), SIGPIPE, nullptr, 0);
    }
    answer.error = err;
    return answer;
  }
  if (p->in_progress) {
    struct pollfd ready = {socket, POLLOUT, 0};
    if (::poll(&ready, 1, 0) == 0) {
      answer.done = false;
      return answer;
    }
    int err = 0;
    socklen_t size = sizeof(err);
    ::getsockopt(socket, SOL_SOCKET, SO_ERROR, &err, &size);
    answer.error = err;
    return answer;
  }
  // A blocking connect would stall the supervisor (a TCP handshake, a unix listener's full
  // backlog): made non-blocking for the call, then waited for in RetryParked.
  int status = ::fcntl(socket, F_GETFL);
  bool switched = p->blocking && status >= 0 && ::fcntl(socket, F_SETFL, status | O_NONBLOCK) == 0;
  int rc = ::connect(socket, address, length);
  int err = errno;
  if (switched) ::fcntl(socket, F_SETFL, status);
  if (rc == 0) return answer;
  // EALREADY: a connect restarted after a signal finds its handshake under way, which a
  // blocking connect waits for too.
  if (p->blocking && (err == EINPROGRESS || err == EALREADY)) {
    // On lo the handshake is usually over by now: look once before parking it.
    p->in_progress = true;
    return Attempt(p);
  } else if (p->blocking && err == EAGAIN && p->domain == AF_UNIX) {
    answer.done = false;
  } else {
    answer.error = err;
  }
  return answer;
}

SocketMediator::Disposition SocketMediator::Handle(int fd, const seccomp_notif& request,
                                                   std::string_view syscall, Answer* answer) {
  Pending p;
  *answer = Answer{};
  int err = Prepare(fd, request, syscall, &p);
  if (err == kGone) return Disposition::kGone;
  if (err != 0) {
    answer->error = err;
    return Disposition::kAnswer;
  }
  if (!CheckUnixPath(&p, answer)) return Disposition::kAnswer;
  bool denied = answer->denied;
  *answer = Attempt(&p);
  answer->denied = denied;
  if (answer->done) return Disposition::kAnswer;
  if (parked_.size() >= kMaxParked) {
    answer->done = true;
    answer->error = EAGAIN;
    return Disposition::kAnswer;
  }
  parked_.push_back(std::move(p));
  return Disposition::kParked;
}

int SocketMediator::RetryTimeoutMs() const {
  if (parked_.empty()) return -1;
  bool handshake =
      std::any_of(parked_.begin(), parked_.end(), [](const Pending& p) { return p.in_progress; });
  return handshake ? kHandshakeRetryMs : kRetryMs;
}

void SocketMediator::RetryParked(int fd) {
  for (size_t i = 0; i < parked_.size();) {
    Pending& p = parked_[i];
    if (Valid(fd, p.id)) {
      Answer answer = Attempt(&p);
      if (!answer.done) {
        ++i;
        continue;
      }
      Respond(fd, p.id, answer);
    }
    parked_.erase(parked_.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

}  // namespace sandbox::seccomp

#include "seccomp/socket_mediator.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
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
#include "seccomp/as_the_job.h"

namespace sandbox::seccomp {
namespace {

constexpr uint32_t kSocketcallConnect = 3;       // <linux/net.h> SYS_CONNECT
constexpr uint32_t kSocketcallSendto = 11;       // SYS_SENDTO
constexpr uint32_t kSocketcallSendmsg = 16;      // SYS_SENDMSG
constexpr uint32_t kSocketcallSendmmsg = 20;     // SYS_SENDMMSG
constexpr uint64_t kX32SyscallBit = 0x40000000;  // __X32_SYSCALL_BIT
constexpr size_t kMaxMmsg = 1024;                // UIO_MAXIOV: messages per sendmmsg
constexpr size_t kMaxPassed = 253;               // SCM_MAX_FD: descriptors per SCM_RIGHTS
constexpr int kUdpSegment = 103;                 // UDP_SEGMENT (<linux/udp.h>)
constexpr unsigned kPidfdThread = O_EXCL;        // PIDFD_THREAD (Linux 6.9)
// sendto's bytes are copied: a stream socket gets at most this much per call (a short write),
// a datagram larger than this is refused with EMSGSIZE as one too big for the socket would be.
constexpr size_t kMaxCopy = size_t{4} << 20;
// Calls waiting because they would block; beyond this many, EAGAIN. Each holds two or three
// descriptors of the supervisor, which must not run out of them (RLIMIT_NOFILE, often 1024).
constexpr size_t kMaxParked = 64;
// The notification's caller is gone: nothing to answer.
constexpr int kGone = -1;

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

// A netlink destination other than the kernel (another socket's port, a multicast group) needs
// CAP_NET_ADMIN in the socket's network namespace, which the kernel checks against the
// *sender* (netlink_allowed in netlink_sendmsg and netlink_connect). Sent by the supervisor,
// the owner of the user namespace above the sandbox's, the check would pass for a job that
// must fail it: EPERM, the kernel's answer to the job. (Protocols that let anyone send to
// groups are refused too; nothing a build uses.)
int CheckNetlinkDestination(bool connect, int domain, const std::vector<char>& address) {
  if (domain != AF_NETLINK || address.size() < sizeof(sockaddr_nl)) return 0;
  sockaddr_nl nl;
  std::memcpy(&nl, address.data(), sizeof(nl));
  if (nl.nl_family != AF_NETLINK) return 0;
  return nl.nl_groups != 0 || (!connect && nl.nl_pid != 0) ? EPERM : 0;
}

}  // namespace

bool SocketMediator::Handles(std::string_view syscall, uint64_t first_arg) {
  if (syscall == "connect" || syscall == "sendto" || syscall == "sendmsg" ||
      syscall == "sendmmsg") {
    return true;
  }
  uint32_t call = static_cast<uint32_t>(first_arg);
  return syscall == "socketcall" && (call == kSocketcallConnect || call == kSocketcallSendto ||
                                     call == kSocketcallSendmsg || call == kSocketcallSendmmsg);
}

SocketMediator::SocketMediator(int proc_dir, std::vector<SocketId> connectable, bool log_only,
                               std::optional<std::vector<std::string>> socket_dirs)
    : proc_dir_(proc_dir),
      connectable_(std::move(connectable)),
      socket_dirs_(std::move(socket_dirs)),
      log_only_(log_only) {
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
  // i386 and x32 lay out msghdr, iovec and cmsghdr with 32-bit pointers and lengths.
  p->compat = request.data.arch == AUDIT_ARCH_I386 || (request.data.nr & kX32SyscallBit) != 0;
  uint64_t args[6];
  for (int i = 0; i < 6; ++i) args[i] = request.data.args[i];
  if (syscall == "socketcall") {
    uint32_t call = static_cast<uint32_t>(args[0]);
    p->call = call == kSocketcallConnect   ? Call::kConnect
              : call == kSocketcallSendto  ? Call::kSendto
              : call == kSocketcallSendmsg ? Call::kSendmsg
                                           : Call::kSendmmsg;
  } else {
    p->call = syscall == "connect"   ? Call::kConnect
              : syscall == "sendto"  ? Call::kSendto
              : syscall == "sendmsg" ? Call::kSendmsg
                                     : Call::kSendmmsg;
  }
  // The caller's memory is read once; whatever it writes there later never reaches the call.
  // sendmmsg also writes each message's length back, as the kernel does.
  int mode = p->call == Call::kSendmmsg ? O_RDWR : O_RDONLY;
  UniqueFd memory(OpenInProc(p->pid, "mem", mode | O_CLOEXEC));
  // The caller itself, for taking its socket below.
  long pidfd = ::syscall(SYS_pidfd_open, p->pid, kPidfdThread);
  if (pidfd < 0 && errno == EINVAL) {
    pidfd = ::syscall(SYS_pidfd_open, ThreadGroupOf(proc_dir_, p->pid), 0);
  }
  p->pidfd.Reset(static_cast<int>(pidfd));
  // Both opened, then checked once: the pid named the caller for both, not a process that
  // reused the number (it cannot be reused while the caller waits in its call).
  if (!Valid(fd, request.id) || !p->pidfd) return kGone;
  // A live caller whose memory is closed to us (it made itself non-dumpable): an answer, not
  // a call left waiting forever.
  if (!memory) return EACCES;
  auto read = [&memory](uint64_t address, void* out, size_t size) {
    if (size == 0) return true;
    return ::pread(memory.get(), out, size, static_cast<off_t>(address)) ==
           static_cast<ssize_t>(size);
  };
  if (syscall == "socketcall") {
    // i386: the arguments are 32-bit values in the caller's memory.
    static constexpr size_t kCount[] = {3, 6, 3, 4};  // connect, sendto, sendmsg, sendmmsg
    uint32_t packed[6] = {};
    if (!read(args[1], packed, kCount[static_cast<int>(p->call)] * sizeof(uint32_t))) {
      return EFAULT;
    }
    for (int i = 0; i < 6; ++i) args[i] = packed[i];
  }

  // The job's socket itself, not its descriptor number: another thread may put a different
  // socket under that number at any time. Taken first, as the kernel looks the descriptor up
  // before it copies anything.
  p->socket.Reset(
      static_cast<int>(::syscall(SYS_pidfd_getfd, p->pidfd.get(), static_cast<int>(args[0]), 0)));
  if (!p->socket) return errno == ESRCH ? kGone : errno;
  int type = 0;
  socklen_t size = sizeof(int);
  if (::getsockopt(p->socket.get(), SOL_SOCKET, SO_DOMAIN, &p->domain, &size) != 0 ||
      ::getsockopt(p->socket.get(), SOL_SOCKET, SO_TYPE, &type, &size) != 0) {
    return errno;  // ENOTSOCK
  }
  p->type = type;

  switch (p->call) {
    case Call::kConnect:
    case Call::kSendto: {
      Message& m = p->messages.emplace_back();
      bool connect = p->call == Call::kConnect;
      uint64_t address = connect ? args[1] : args[4];
      int length = static_cast<int>(connect ? args[2] : args[5]);
      if (!connect) p->flags = static_cast<int>(args[3]);
      // The kernel's own checks (move_addr_to_kernel): sendto ignores the length of no address.
      if (address == 0 && !connect) length = 0;
      if (length < 0 || static_cast<size_t>(length) > sizeof(sockaddr_storage)) return EINVAL;
      m.address.resize(static_cast<size_t>(length));
      if (!read(address, m.address.data(), m.address.size())) return EFAULT;
      if (!connect) {
        size_t length_wanted = static_cast<size_t>(args[2]);
        if (length_wanted > kMaxCopy) {
          if (type != SOCK_STREAM) return EMSGSIZE;
          length_wanted = kMaxCopy;
        }
        m.data.resize(length_wanted);
        if (!read(args[1], m.data.data(), m.data.size())) return EFAULT;
      }
      break;
    }
    case Call::kSendmsg:
      p->flags = static_cast<int>(args[2]);
      CopyMessages(memory.get(), args[1], 1, type, p);
      break;
    case Call::kSendmmsg:
      p->flags = static_cast<int>(args[3]);
      p->vector = args[1];
      // __sys_sendmmsg: at most UIO_MAXIOV messages per call, more are left for the next.
      CopyMessages(memory.get(), args[1],
                   std::min<size_t>(static_cast<uint32_t>(args[2]), kMaxMmsg), type, p);
      p->memory = std::move(memory);
      break;
  }
  int status = ::fcntl(p->socket.get(), F_GETFL);
  p->blocking = status >= 0 && (status & O_NONBLOCK) == 0 &&
                !(p->call != Call::kConnect && (p->flags & MSG_DONTWAIT) != 0);
  return 0;
}

void SocketMediator::CopyMessages(int memory, uint64_t address, size_t count, int type,
                                  Pending* p) {
  MmsgLayout layout = MmsgLayoutOf(p->compat);
  size_t room = kMaxCopy;  // bytes copied for the whole call
  for (size_t i = 0; i < count; ++i) {
    CopiedMessage copied;
    int err = CopyMessage(memory, address + i * layout.size, p->compat, type == SOCK_STREAM, room,
                          &copied);
    Message m;
    if (err == 0) err = TranslateControl(*p, copied.control, &m);
    if (err != 0 && i > 0 && !m.fenced) {
      // sendmmsg sends the messages before one that fails and returns their count (the error
      // is lost, as in __sys_sendmmsg); beyond the copy limit the caller sends the rest later.
      break;
    }
    m.error = err;
    m.address = std::move(copied.address);
    m.data = std::move(copied.data);
    room -= m.data.size();
    p->messages.push_back(std::move(m));
    if (err != 0 || room == 0) break;
  }
}

int SocketMediator::TranslateControl(const Pending& p, const std::vector<ControlMessage>& in,
                                     Message* m) {
  // Control messages that carry plain values checked against nothing but the socket: IPv4 TTL,
  // TOS and source (IP_PKTINFO), the IPv6 equivalents, UDP segmentation offload. Others reach
  // kernel checks of the *sender's* capabilities, which here is the supervisor, the owner of
  // the parent user namespace and so privileged in the sandbox's network namespace (IPv6
  // extension headers, IP options, SO_MARK, SO_PRIORITY), or name a process (SCM_CREDENTIALS
  // would carry the job's pid from a sender whose pid differs): refused, EPERM.
  auto value_only = [](int level, int type) {
    switch (level) {
      case IPPROTO_IP:
        return type == IP_TTL || type == IP_TOS || type == IP_PKTINFO;
      case IPPROTO_IPV6:
        return type == IPV6_PKTINFO || type == IPV6_HOPLIMIT || type == IPV6_TCLASS ||
               type == IPV6_DONTFRAG;
      case IPPROTO_UDP:
        return type == kUdpSegment;
      default:
        return false;
    }
  };
  for (const ControlMessage& c : in) {
    size_t ints = 0;
    const char* payload = c.data.data();
    size_t length = c.data.size();
    std::vector<int> fds;
    if (c.level == SOL_SOCKET && c.type == SCM_RIGHTS) {
      ints = c.data.size() / sizeof(int);
      if (ints > kMaxPassed) return EINVAL;  // SCM_MAX_FD
      for (size_t i = 0; i < ints; ++i) {
        int number;
        std::memcpy(&number, c.data.data() + i * sizeof(int), sizeof(int));
        // The object under that number now, as the kernel's scm_fp_copy would take it.
        UniqueFd copy(static_cast<int>(::syscall(SYS_pidfd_getfd, p.pidfd.get(), number, 0)));
        if (!copy) return errno == EMFILE || errno == ENFILE ? errno : EBADF;
        fds.push_back(copy.get());
        m->passed.push_back(std::move(copy));
      }
      payload = reinterpret_cast<const char*>(fds.data());
      length = ints * sizeof(int);
    } else if (!value_only(c.level, c.type)) {
      m->fenced = true;
      return EPERM;
    }
    size_t at = m->control.size();
    m->control.resize(at + CMSG_SPACE(length));
    auto* header = reinterpret_cast<cmsghdr*>(m->control.data() + at);
    header->cmsg_len = CMSG_LEN(length);
    header->cmsg_level = c.level;
    header->cmsg_type = c.type;
    if (length > 0) std::memcpy(CMSG_DATA(header), payload, length);
  }
  return 0;
}

// --isolation landlock: the job sees the host's own tree, where a socket outside the paths it
// may write is a host service (Landlock does not fence connect(2) before ABI 9).
bool SocketMediator::BeneathSocketDirs(int target) const {
  if (!socket_dirs_) return true;
  char path[PATH_MAX];
  std::string link = "/proc/self/fd/" + std::to_string(target);
  ssize_t n = ::readlink(link.c_str(), path, sizeof(path) - 1);
  if (n <= 0) return false;
  std::string_view at(path, static_cast<size_t>(n));
  for (const std::string& dir : *socket_dirs_) {
    if (dir == "/" || (at.starts_with(dir) && (at.size() == dir.size() || at[dir.size()] == '/'))) {
      return true;
    }
  }
  return false;
}

int SocketMediator::CheckUnixPath(const Pending& p, Message* m) {
  constexpr size_t kPathAt = offsetof(sockaddr_un, sun_path);
  if (p.domain != AF_UNIX || m->address.size() <= kPathAt) return 0;
  sa_family_t family;
  std::memcpy(&family, m->address.data(), sizeof(family));
  const char* name = m->address.data() + kPathAt;
  size_t room = m->address.size() - kPathAt;
  // Abstract names (a leading NUL) live in the socket's network namespace, not on a mount.
  if (family != AF_UNIX || name[0] == '\0') return 0;
  std::string path(name, strnlen(name, room));

  // Resolved as the kernel would for the caller: in its root, relative ones from its cwd;
  // absolute symlinks stay inside that root (RESOLVE_IN_ROOT).
  if (path[0] != '/') {
    char cwd[PATH_MAX];
    std::string link = std::to_string(p.pid) + "/cwd";
    ssize_t n = ::readlinkat(proc_dir_, link.c_str(), cwd, sizeof(cwd) - 1);
    if (n <= 0 || cwd[0] != '/') return ENOENT;
    path = std::string(cwd, static_cast<size_t>(n)) + "/" + path;
  }
  UniqueFd root(OpenInProc(p.pid, "root", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return ESRCH;
  {
    AsTheJob as_job(proc_dir_, false);
    if (!as_job.ok()) return EPERM;
    m->target.Reset(sys::OpenAt2(root.get(), path.c_str(), O_PATH | O_CLOEXEC,
                                 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
  }
  if (!m->target) return errno;
  struct stat st;
  struct statfs fs;
  if (::fstat(m->target.get(), &st) != 0 || ::fstatfs(m->target.get(), &fs) != 0) return errno;
  // What connect(2) says of a path that is not a socket.
  if (!S_ISSOCK(st.st_mode)) return ECONNREFUSED;
  SocketId id{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
  bool named = std::find(connectable_.begin(), connectable_.end(), id) != connectable_.end();
  if (((fs.f_flags & ST_RDONLY) != 0 || !BeneathSocketDirs(m->target.get())) && !named) {
    // A read-only mount brings in what lies on the host; its sockets are the host's services.
    m->fenced = true;
    if (!log_only_) return EACCES;  // as Landlock's LANDLOCK_ACCESS_FS_RESOLVE_UNIX answers
  }
  // From here the call names the socket by this descriptor: nothing swapped in at the path
  // since the check can be reached.
  sockaddr_un by_fd = {};
  by_fd.sun_family = AF_UNIX;
  int n = std::snprintf(by_fd.sun_path, sizeof(by_fd.sun_path), "self/fd/%d", m->target.get());
  m->address.assign(reinterpret_cast<const char*>(&by_fd),
                    reinterpret_cast<const char*>(&by_fd) + kPathAt + static_cast<size_t>(n) + 1);
  return 0;
}

int SocketMediator::RouteInet(Pending* p, Message* m) {
  if ((p->domain != AF_INET && p->domain != AF_INET6) || m->address.size() < sizeof(sa_family_t)) {
    return 0;
  }
  sa_family_t family;
  std::memcpy(&family, m->address.data(), sizeof(family));
  if (family != AF_INET && family != AF_INET6) return 0;  // AF_UNSPEC: a datagram disconnect
  int err = 0;
  if (p->call == Call::kConnect) {
    err = router_->RouteConnect(proc_dir_, p->pid, p->socket.get(), p->type, &m->address);
  } else if (p->type == SOCK_STREAM && (p->flags & MSG_FASTOPEN) == 0) {
    // A stream socket's send ignores the address (tcp_sendmsg); none is passed on.
    m->address.clear();
  } else {
    err = router_->CheckSend(proc_dir_, p->pid, p->type, m->address, p->flags);
  }
  // Reported by the router as a network denial, not a seccomp one; and under seccomp's "log"
  // a refused destination stays refused: the job's network namespace reaches nothing else.
  return err;
}

SocketMediator::Answer SocketMediator::Attempt(Pending* p) {
  Answer answer;
  bool by_fd = std::any_of(p->messages.begin(), p->messages.end(),
                           [](const Message& m) { return m.target.valid(); });
  AsTheJob as_job(proc_dir_, by_fd);
  if (!as_job.ok()) {
    answer.error = EPERM;
    return answer;
  }
  if (p->call != Call::kConnect) return Send(p);
  const Message& m = p->messages.front();
  const auto* address = reinterpret_cast<const sockaddr*>(m.address.data());
  socklen_t length = static_cast<socklen_t>(m.address.size());
  int socket = p->socket.get();
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

SocketMediator::Answer SocketMediator::Send(Pending* p) {
  Answer answer;
  // Never blocks here and never raises SIGPIPE here; the caller gets both below.
  const int flags = p->flags | MSG_DONTWAIT | MSG_NOSIGNAL;
  const MmsgLayout layout = MmsgLayoutOf(p->compat);
  while (p->sent < p->messages.size()) {
    Message& m = p->messages[p->sent];
    int err = m.error;
    ssize_t n = -1;
    if (err == 0) {
      struct iovec iov = {m.data.data(), m.data.size()};
      struct msghdr header = {};
      if (!m.address.empty()) {
        header.msg_name = m.address.data();
        header.msg_namelen = static_cast<socklen_t>(m.address.size());
      }
      header.msg_iov = &iov;
      header.msg_iovlen = 1;
      if (!m.control.empty()) {
        header.msg_control = m.control.data();
        header.msg_controllen = m.control.size();
      }
      n = ::sendmsg(p->socket.get(), &header, flags);
      if (n < 0) err = errno;
    }
    if (err == 0 && p->call != Call::kSendmmsg) {
      answer.value = n;
      return answer;
    }
    if (err == 0) {
      // The kernel writes each msg_len as it goes; a message whose length cannot be written
      // back is sent but not counted, and ends the call (__sys_sendmmsg).
      uint32_t sent_length = static_cast<uint32_t>(n);
      off_t at = static_cast<off_t>(p->vector + p->sent * layout.size + layout.length_at);
      if (::pwrite(p->memory.get(), &sent_length, sizeof(sent_length), at) ==
          static_cast<ssize_t>(sizeof(sent_length))) {
        ++p->sent;
        continue;
      }
      err = EFAULT;
    } else if (p->blocking && (err == EAGAIN || err == EWOULDBLOCK) && m.error == 0) {
      answer.done = false;
      return answer;
    }
    if (err == EPIPE && (p->flags & MSG_NOSIGNAL) == 0) {
      ::syscall(SYS_pidfd_send_signal, p->pidfd.get(), SIGPIPE, nullptr, 0);
    }
    // sendmmsg: the messages sent before one that fails are what the call returns.
    if (p->call == Call::kSendmmsg && p->sent > 0) {
      answer.value = static_cast<int64_t>(p->sent);
      return answer;
    }
    answer.error = err;
    return answer;
  }
  answer.value = static_cast<int64_t>(p->sent);
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
  bool denied = false;
  for (Message& m : p.messages) {
    if (m.error == 0)
      m.error = CheckNetlinkDestination(p.call == Call::kConnect, p.domain, m.address);
    if (m.error == 0) m.error = CheckUnixPath(p, &m);
    if (m.error == 0 && router_ != nullptr) m.error = RouteInet(&p, &m);
    denied = denied || m.fenced;
    if (m.error != 0) break;  // the messages after it are never reached
  }
  if (p.call == Call::kConnect || p.call == Call::kSendto) {
    // One message: its refusal is the call's answer, as before any attempt.
    if (p.messages.front().error != 0) {
      answer->error = p.messages.front().error;
      answer->denied = denied;
      return Disposition::kAnswer;
    }
  }
  *answer = Attempt(&p);
  answer->denied = denied;
  if (answer->done) return Disposition::kAnswer;
  size_t passed = 0;
  for (const Pending& q : parked_) {
    for (const Message& m : q.messages) passed += m.passed.size();
  }
  for (const Message& m : p.messages) passed += m.passed.size();
  if (parked_.size() >= kMaxParked || passed > kMaxParkedPassed) {
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

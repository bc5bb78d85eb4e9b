#include "seccomp/listener.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "seccomp/decide.h"
#include "seccomp/names.h"

namespace sandbox::seccomp {
namespace {

// `path` relative to the /proc directory `proc_dir` (-1: "/proc").
std::string ReadProcFile(int proc_dir, const std::string& path) {
  std::string text;
  int fd = proc_dir >= 0 ? ::openat(proc_dir, path.c_str(), O_RDONLY | O_CLOEXEC)
                         : ::open(("/proc/" + path).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[2048];
  ssize_t n = ::read(fd, buf, sizeof(buf));
  if (n > 0) text.assign(buf, static_cast<size_t>(n));
  ::close(fd);
  return text;
}

}  // namespace

// The pid a process has in the innermost pid namespace it belongs to: the last NSpid field.
std::optional<pid_t> InnerPid(int proc_dir, pid_t host_pid) {
  std::string status = ReadProcFile(proc_dir, std::to_string(host_pid) + "/status");
  size_t at = status.find("\nNSpid:");
  if (at == std::string::npos) return std::nullopt;
  size_t end = status.find('\n', at + 1);
  std::string line = status.substr(at + 7, end == std::string::npos ? end : end - at - 7);
  size_t last = line.find_last_of(" \t");
  std::string number = last == std::string::npos ? line : line.substr(last + 1);
  if (number.empty()) return std::nullopt;
  return static_cast<pid_t>(std::strtol(number.c_str(), nullptr, 10));
}

std::string Comm(int proc_dir, pid_t host_pid) {
  std::string comm = ReadProcFile(proc_dir, std::to_string(host_pid) + "/comm");
  while (!comm.empty() && comm.back() == '\n') comm.pop_back();
  return comm;
}

Listener::Listener(Settings settings, int proc_dir)
    : settings_(std::move(settings)),
      proc_dir_(proc_dir),
      sockets_(proc_dir, settings_.connectable, settings_.action == Action::kLog,
               settings_.socket_dirs),
      opens_(proc_dir, settings_.action == Action::kLog) {
  // The kernel's own sizes, which a newer kernel may have grown past this header's: it writes
  // its whole struct. Asked directly: libseccomp's notify helpers first probe its API level
  // with a dozen calls, five of them faulting on a null pointer, on every run's start.
  struct seccomp_notif_sizes sizes {};
  if (::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) return;
  request_size_ = std::max<size_t>(sizes.seccomp_notif, sizeof(seccomp_notif));
  size_t response_size = std::max<size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp));
  request_ = static_cast<seccomp_notif*>(std::calloc(1, request_size_));
  response_ = static_cast<seccomp_notif_resp*>(std::calloc(1, response_size));
  if (request_ == nullptr || response_ == nullptr) {
    std::free(request_);
    std::free(response_);
    request_ = nullptr;
    response_ = nullptr;
  }
}

Listener::~Listener() {
  std::free(request_);
  std::free(response_);
}

bool Listener::HandleOne(int fd) {
  if (request_ == nullptr) return false;
  // The kernel refuses a request buffer that is not zeroed.
  std::memset(request_, 0, request_size_);
  if (::ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, request_) != 0) {
    // ENOENT: the caller died (a signal) before we took the call; try the next one.
    return errno == EINTR || errno == ENOENT;
  }
  std::string name = SyscallName(request_->data.arch, request_->data.nr);
  // The socket fence (socket_mediator.h), unless the profile denies the call outright.
  if (SocketMediator::Handles(name, request_->data.args[0]) &&
      std::find(settings_.deny.begin(), settings_.deny.end(), name) == settings_.deny.end()) {
    SocketMediator::Answer answer;
    auto disposition = sockets_.Handle(fd, *request_, name, &answer);
    if (disposition == SocketMediator::Disposition::kGone) return true;
    if (answer.denied && !CountDenial(fd, name)) return true;
    if (disposition == SocketMediator::Disposition::kAnswer) {
      SocketMediator::Respond(fd, request_->id, answer);
    }
    return true;
  }
  // The FIFO fence (open_mediator.h), likewise.
  if (settings_.fence_fifos && OpenMediator::Handles(name) &&
      std::find(settings_.deny.begin(), settings_.deny.end(), name) == settings_.deny.end()) {
    OpenMediator::Answer answer;
    auto disposition = opens_.Handle(fd, *request_, name, &answer);
    if (disposition == OpenMediator::Disposition::kGone) return true;
    if (answer.denied && !CountDenial(fd, name)) return true;
    if (disposition == OpenMediator::Disposition::kAnswer) {
      OpenMediator::Respond(fd, request_->id, answer);
    }
    return true;
  }
  Verdict verdict = Decide(settings_, name, request_->data.args[0]);
  if (verdict.denial && !CountDenial(fd, name)) return true;
  std::memset(response_, 0, sizeof(*response_));
  response_->id = request_->id;
  if (verdict.proceed) {
    response_->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  } else {
    response_->error = -verdict.error;
  }
  // ENOENT: the caller died meanwhile (a signal); nothing to answer.
  (void)::ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, response_);
  return true;
}

int Listener::RetryTimeoutMs() const {
  int sockets = sockets_.RetryTimeoutMs();
  int opens = opens_.RetryTimeoutMs();
  if (sockets < 0) return opens;
  return opens < 0 ? sockets : std::min(sockets, opens);
}

bool Listener::CountDenial(int fd, const std::string& name) {
  // Name the caller while it is still blocked in the call, then make sure the notification
  // is still live, so the pid read is the caller's and not a recycled one.
  auto known = std::find_if(denials_.begin(), denials_.end(),
                            [&](const Denial& d) { return d.syscall == name; });
  if (known == denials_.end()) {
    Denial denial;
    denial.syscall = name;
    denial.first_pid = InnerPid(proc_dir_, static_cast<pid_t>(request_->pid));
    denial.first_comm = Comm(proc_dir_, static_cast<pid_t>(request_->pid));
    uint64_t id = request_->id;
    if (::ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0) return false;
    known = denials_.insert(denials_.end(), std::move(denial));
  }
  ++known->count;
  return true;
}

}  // namespace sandbox::seccomp

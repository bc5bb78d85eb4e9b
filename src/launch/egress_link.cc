#include "launch/egress_link.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>

#include "common/record.h"
#include "egress/control.h"
#include "egress/dns_answer.h"
#include "seccomp/listener.h"

namespace sandbox::launch {
namespace {

constexpr const char* kProxyName = "sandbox-egress-proxy";
// How long the proxy may take to send its counts once the run is over.
constexpr int kFinishTimeoutMs = 2000;

int64_t NowUnixMs() {
  timeval now;
  ::gettimeofday(&now, nullptr);
  return int64_t{now.tv_sec} * 1000 + now.tv_usec / 1000;
}

// Beside the sandbox's binary (the build tree, or a relocated install), else in
// ../libexec/sandbox (an installed one).
std::string FindProxy() {
  char self[PATH_MAX];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return "";
  std::string dir(self, static_cast<size_t>(n));
  dir.erase(dir.rfind('/'));
  for (const std::string& path :
       {dir + "/" + kProxyName, dir + "/../libexec/sandbox/" + kProxyName}) {
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

// An inet destination as the job wrote it.
struct InetAddress {
  bool valid = false;
  bool v6 = false;      // an AF_INET6 sockaddr
  bool mapped = false;  // ::ffff:a.b.c.d
  uint8_t v4[4] = {};   // the IPv4 address (AF_INET, or mapped)
  uint8_t v6_bytes[16] = {};
  uint16_t port = 0;
  std::string text;  // canonical address text
};

InetAddress Parse(const std::vector<char>& address) {
  InetAddress d;
  sa_family_t family;
  if (address.size() < sizeof(family)) return d;
  std::memcpy(&family, address.data(), sizeof(family));
  char text[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET && address.size() >= sizeof(sockaddr_in)) {
    sockaddr_in in;
    std::memcpy(&in, address.data(), sizeof(in));
    std::memcpy(d.v4, &in.sin_addr, 4);
    d.port = ntohs(in.sin_port);
    ::inet_ntop(AF_INET, d.v4, text, sizeof(text));
    d.valid = true;
  } else if (family == AF_INET6 && address.size() >= offsetof(sockaddr_in6, sin6_scope_id)) {
    sockaddr_in6 in6 = {};
    std::memcpy(&in6, address.data(), std::min(address.size(), sizeof(in6)));
    d.v6 = true;
    std::memcpy(d.v6_bytes, &in6.sin6_addr, 16);
    d.port = ntohs(in6.sin6_port);
    d.mapped = IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr);
    if (d.mapped) {
      std::memcpy(d.v4, d.v6_bytes + 12, 4);
      ::inet_ntop(AF_INET, d.v4, text, sizeof(text));
    } else {
      ::inet_ntop(AF_INET6, d.v6_bytes, text, sizeof(text));
    }
    d.valid = true;
  }
  d.text = text;
  return d;
}

// The job's own addresses: loopback, the unspecified address (the kernel reads it as the
// local host), and the two lo carries for AI_ADDRCONFIG.
bool IsLocal(const InetAddress& d) {
  if (!d.v6 || d.mapped) {
    uint32_t own = egress::kSyntheticV4Base + 1;
    uint32_t value =
        (uint32_t{d.v4[0]} << 24) | (uint32_t{d.v4[1]} << 16) | (uint32_t{d.v4[2]} << 8) | d.v4[3];
    return d.v4[0] == 127 || value == 0 || value == own;
  }
  static const uint8_t kZero[16] = {};
  uint8_t loopback[16] = {};
  loopback[15] = 1;
  uint8_t own[16];
  egress::SyntheticV6(1, own);
  return std::memcmp(d.v6_bytes, kZero, 16) == 0 || std::memcmp(d.v6_bytes, loopback, 16) == 0 ||
         std::memcmp(d.v6_bytes, own, 16) == 0;
}

void CopyName(const std::string& name, char* out, size_t size) {
  size_t n = std::min(name.size(), size - 1);
  std::memcpy(out, name.data(), n);
  out[n] = '\0';
}

}  // namespace

Result<std::unique_ptr<EgressLink>> EgressLink::Start(const policy::EgressPlan& plan) {
  std::string path = FindProxy();
  if (path.empty()) {
    Error e = MakeError(std::string("cannot find the egress proxy (") + kProxyName +
                        " beside the sandbox's binary, or in ../libexec/sandbox)");
    e.hint = "install it with the sandbox (cmake --install), or build the target " +
             std::string(kProxyName);
    return e;
  }
  return std::unique_ptr<EgressLink>(new EgressLink(plan, std::move(path)));
}

EgressLink::EgressLink(const policy::EgressPlan& plan, std::string path)
    : plan_(plan), path_(std::move(path)) {
  // Numbered before the run (the job's /etc/hosts has them): a connect to one needs no
  // lookup, so it may come before the proxy has said anything.
  for (size_t i = 0; i < plan_.numbered.size(); ++i) {
    names_[egress::kFirstSyntheticIndex + static_cast<uint32_t>(i)] = plan_.numbered[i];
  }
}

EgressLink::~EgressLink() {
  if (proxy_ > 0) {
    // Its counts are in (or it never served): it holds nothing that outlives it. SIGKILL
    // cannot be caught, so it is gone once the kernel has torn its memory down, which the run
    // need not wait for (as for pid 1's namespaces, supervisor.cc): reaped here if already
    // dead, else by whoever inherits it when the supervisor exits.
    ::kill(proxy_, SIGKILL);
    (void)::waitpid(proxy_, nullptr, WNOHANG);
  }
}

std::vector<int> EgressLink::waiting_sockets() const {
  std::vector<int> fds;
  for (const auto& [role, socket] : waiting_) fds.push_back(socket.get());
  return fds;
}

bool EgressLink::Spawn() {
  if (spawned_) return proxy_ > 0;
  spawned_ = true;
  std::string error = SpawnProxy();
  if (!error.empty()) {
    // Fails closed: the job's lookups and connections find no one (and are not left waiting
    // on sockets no one will read).
    std::fprintf(stderr, "sandbox: cannot start the egress proxy %s: %s\n", path_.c_str(),
                 error.c_str());
    waiting_.clear();
    return false;
  }
  for (auto& [role, socket] : waiting_) AddSocket(role, std::move(socket));
  waiting_.clear();
  return true;
}

std::string EgressLink::SpawnProxy() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return std::string("control socket: ") + std::strerror(errno);
  }
  UniqueFd mine(pair[0]);
  UniqueFd theirs(pair[1]);
  // The claim (Finish): one byte in a non-blocking pipe whose write end is closed at once, so
  // a read by either side takes the byte or returns 0, atomically and without waiting.
  int claim_pipe[2];
  if (::pipe2(claim_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
    return std::string("claim pipe: ") + std::strerror(errno);
  }
  UniqueFd claim(claim_pipe[0]);
  char token = 'c';
  bool written = ::write(claim_pipe[1], &token, 1) == 1;
  ::close(claim_pipe[1]);
  if (!written) return std::string("claim pipe: ") + std::strerror(errno);
  std::vector<std::string> args = {path_};
  if (plan_.mode == policy::EgressPlan::Mode::kLog) args.emplace_back("--log");
  for (const egress::HostRule& rule : plan_.allow) {
    std::string host = rule.subdomains ? "*." + rule.host : rule.host;
    if (rule.literal_ip && host.find(':') != std::string::npos) host = "[" + host + "]";
    for (uint16_t port : rule.ports) {
      args.emplace_back("--allow");
      args.push_back(host + ":" + std::to_string(port));
    }
  }
  for (const egress::Pin& pin : plan_.resolve) {
    args.emplace_back("--resolve");
    args.push_back(pin.host + ":" + pin.address);
  }
  for (const std::string& name : plan_.numbered) {
    args.emplace_back("--numbered");
    args.push_back(name);
  }
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  char* envp[] = {nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // Descriptor 3 is the control socket, 4 the claim pipe (dup2 clears close-on-exec; the
  // pipe's O_NONBLOCK is its open file's, shared with ours); nothing else is inherited,
  // every other descriptor of the supervisor being close-on-exec.
  posix_spawn_file_actions_adddup2(&actions, theirs.get(), 3);
  posix_spawn_file_actions_adddup2(&actions, claim.get(), 4);
  // Not the job's stdin or stdout (a pipe held open would keep a reader waiting); stderr stays
  // for the proxy's one-line failures.
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  sigset_t defaults;
  sigfillset(&defaults);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int err = ::posix_spawn(&pid, path_.c_str(), &actions, &attributes, argv.data(), envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (err != 0) return std::strerror(err);
  control_ = std::move(mine);
  claim_ = std::move(claim);
  proxy_ = pid;
  return "";
}

void EgressLink::AddSocket(int role, UniqueFd socket) {
  if (!spawned_) {
    // Held until the job first needs the proxy (Spawn): a run that never looks a name up
    // nor connects out never starts it.
    waiting_.emplace_back(role, std::move(socket));
    return;
  }
  if (!control_) return;  // the proxy could not be started: the socket is closed
  egress::ControlMessage message;
  message.kind = egress::ControlKind::kSocket;
  message.socket = static_cast<egress::SocketRole>(role);
  // A proxy that died cannot serve the job: its connections then fail, which the report shows.
  (void)SendWithFd(control_.get(), &message, sizeof(message), socket.get());
}

void EgressLink::ReadControl() {
  for (;;) {
    egress::ControlMessage message;
    ssize_t n = ::recv(control_.get(), &message, sizeof(message), MSG_DONTWAIT);
    if (n != static_cast<ssize_t>(sizeof(message))) return;
    message.name[sizeof(message.name) - 1] = '\0';
    message.why[sizeof(message.why) - 1] = '\0';
    if (message.kind == egress::ControlKind::kName) {
      names_[message.index] = message.name;
    } else if (message.kind == egress::ControlKind::kStats) {
      report::NetworkDestination& d = Destination(message.name, message.port);
      d.allowed = d.allowed || message.allowed != 0;
      d.connections += message.connections;
      d.refused += message.refused;
      d.bytes_sent += message.bytes_sent;
      d.bytes_received += message.bytes_received;
      if (message.first_unix_ms != 0 && message.first_unix_ms < d.first_unix_ms) {
        d.first_unix_ms = message.first_unix_ms;
      }
      if (d.why.empty()) d.why = message.why;
    } else if (message.kind == egress::ControlKind::kDone) {
      done_ = true;
      return;
    }
  }
}

std::vector<report::NetworkDestination> EgressLink::Finish() {
  waiting_.clear();
  // The job is over: nothing new can reach the proxy. If the byte is still there, the proxy
  // never answered a lookup nor took a connection (it may not even be up yet), and now never
  // will (it stops when it finds the pipe empty): there are no counts to wait for, and the
  // destructor kills it. Otherwise the proxy holds the claim: ask it for its counts.
  char token;
  ssize_t taken = 1;  // never started: nothing to ask for
  while (claim_ && (taken = ::read(claim_.get(), &token, 1)) < 0 && errno == EINTR) {
  }
  claim_.Reset();
  egress::ControlMessage finish;
  finish.kind = egress::ControlKind::kFinish;
  if (taken != 1 &&
      ::send(control_.get(), &finish, sizeof(finish), MSG_NOSIGNAL) == sizeof(finish)) {
    int64_t deadline = NowUnixMs() + kFinishTimeoutMs;
    while (!done_) {
      int64_t left = deadline - NowUnixMs();
      if (left <= 0) break;
      struct pollfd ready = {control_.get(), POLLIN, 0};
      int n = ::poll(&ready, 1, static_cast<int>(left));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if ((ready.revents & POLLIN) == 0) break;  // hung up
      ReadControl();
    }
  }
  std::stable_sort(destinations_.begin(), destinations_.end(),
                   [](const report::NetworkDestination& a, const report::NetworkDestination& b) {
                     return a.first_unix_ms < b.first_unix_ms;
                   });
  return destinations_;
}

report::NetworkDestination& EgressLink::Destination(const std::string& host, uint16_t port) {
  for (report::NetworkDestination& d : destinations_) {
    if (d.host == host && d.port == port) return d;
  }
  report::NetworkDestination& d = destinations_.emplace_back();
  d.host = host;
  d.port = port;
  d.first_unix_ms = NowUnixMs();
  return d;
}

void EgressLink::Refuse(int proc_dir, pid_t pid, const std::string& host, uint16_t port,
                        const char* why) {
  report::NetworkDestination& d = Destination(host, port);
  ++d.refused;
  if (d.first_comm.empty()) {
    d.first_comm = seccomp::Comm(proc_dir, pid);
    if (auto inner = seccomp::InnerPid(proc_dir, pid)) d.first_pid = *inner;
  }
  if (d.why.empty()) d.why = why;
}

int EgressLink::RouteConnect(int proc_dir, pid_t pid, int socket, int type,
                             std::vector<char>* address) {
  InetAddress d = Parse(*address);
  if (!d.valid || IsLocal(d)) return 0;
  if (type != SOCK_STREAM) {
    // A datagram socket's connect sends nothing (glibc's getaddrinfo connects one to each
    // answer to sort them); the kernel answers it: no route leaves the namespace. What the
    // socket then sends is checked by CheckSend, or goes nowhere.
    return 0;
  }
  std::optional<uint32_t> index =
      d.v6 && !d.mapped ? egress::SyntheticIndexV6(d.v6_bytes) : egress::SyntheticIndexV4(d.v4);
  std::string name = d.text;
  if (index) {
    auto known = names_.find(*index);
    if (known == names_.end()) {
      // The proxy names an address before it answers with it: the record is queued already.
      ReadControl();
      known = names_.find(*index);
    }
    if (known == names_.end()) {
      Refuse(proc_dir, pid, d.text, d.port, "unknown synthetic address");
      return ECONNREFUSED;
    }
    name = known->second;
  }
  bool allowed =
      plan_.mode == policy::EgressPlan::Mode::kLog || egress::Allowed(plan_.allow, name, d.port);
  if (!allowed) {
    Refuse(proc_dir, pid, name, d.port, "not allowed");
    return ECONNREFUSED;
  }

  // The job's socket goes to the proxy's listener in its own namespace, from a loopback port
  // the proxy can tell the route by.
  bool peer_v6 = d.v6 && !d.mapped;
  sockaddr_storage bound = {};
  socklen_t size = sizeof(bound);
  if (::getsockname(socket, reinterpret_cast<sockaddr*>(&bound), &size) != 0) return errno;
  uint16_t local_port = bound.ss_family == AF_INET6
                            ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                            : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  sockaddr_storage proxy = {};
  socklen_t proxy_size;
  if (d.v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&proxy);
    in6->sin6_family = AF_INET6;
    if (d.mapped) {
      in6->sin6_addr.s6_addr[10] = 0xff;
      in6->sin6_addr.s6_addr[11] = 0xff;
      in6->sin6_addr.s6_addr[12] = 127;
      in6->sin6_addr.s6_addr[15] = 1;
    } else {
      in6->sin6_addr = in6addr_loopback;
    }
    proxy_size = sizeof(sockaddr_in6);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&proxy);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    proxy_size = sizeof(sockaddr_in);
  }
  if (local_port == 0) {
    // Unbound: bound to an ephemeral port of the loopback address it will connect from.
    if (::bind(socket, reinterpret_cast<sockaddr*>(&proxy), proxy_size) != 0) return errno;
    size = sizeof(bound);
    if (::getsockname(socket, reinterpret_cast<sockaddr*>(&bound), &size) != 0) return errno;
    local_port = bound.ss_family == AF_INET6
                     ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                     : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  if (!Spawn()) {
    Refuse(proc_dir, pid, name, d.port, "the proxy could not be started");
    return ECONNREFUSED;
  }
  egress::ControlMessage route;
  route.kind = egress::ControlKind::kRoute;
  route.peer_v6 = peer_v6 ? 1 : 0;
  route.peer_port = local_port;
  route.port = d.port;
  CopyName(name, route.name, sizeof(route.name));
  if (::send(control_.get(), &route, sizeof(route), MSG_NOSIGNAL) != sizeof(route)) {
    Refuse(proc_dir, pid, name, d.port, "the proxy is gone");
    return ECONNREFUSED;
  }
  if (d.v6) {
    reinterpret_cast<sockaddr_in6*>(&proxy)->sin6_port = htons(egress::kProxyPort);
  } else {
    reinterpret_cast<sockaddr_in*>(&proxy)->sin_port = htons(egress::kProxyPort);
  }
  const char* bytes = reinterpret_cast<const char*>(&proxy);
  address->assign(bytes, bytes + proxy_size);
  return 0;
}

int EgressLink::CheckSend(int proc_dir, pid_t pid, int type, const std::vector<char>& address,
                          int flags) {
  InetAddress d = Parse(address);
  if (!d.valid || IsLocal(d)) return 0;
  Refuse(proc_dir, pid, d.text, d.port,
         type == SOCK_STREAM && (flags & MSG_FASTOPEN) != 0 ? "TCP fast open" : "datagram");
  return ENETUNREACH;
}

}  // namespace sandbox::launch

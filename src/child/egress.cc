#include "child/egress.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>

#include "common/record.h"
#include "egress/control.h"

namespace sandbox::child {
namespace {

constexpr int kLoopbackIndex = 1;  // lo is always interface 1 of a new network namespace

// RTM_NEWADDR for `address` (4 or 16 bytes) with a full-length prefix on lo; waits for the
// kernel's acknowledgement (rtnetlink(7)). 0 or an errno.
int AddLoopbackAddress(int family, const void* address, size_t size) noexcept {
  struct {
    nlmsghdr header;
    ifaddrmsg message;
    char attributes[64];
  } request;
  std::memset(&request, 0, sizeof(request));
  request.header.nlmsg_type = RTM_NEWADDR;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
  request.header.nlmsg_seq = 1;
  request.message.ifa_family = static_cast<unsigned char>(family);
  request.message.ifa_prefixlen = static_cast<unsigned char>(size * 8);
  // No duplicate address detection: the address is usable at once (an IPv6 address in DAD is
  // "tentative" and AI_ADDRCONFIG would still not count it).
  request.message.ifa_flags = IFA_F_NODAD | IFA_F_PERMANENT;
  request.message.ifa_scope = RT_SCOPE_HOST;
  request.message.ifa_index = kLoopbackIndex;
  size_t length = NLMSG_LENGTH(sizeof(ifaddrmsg));
  for (unsigned short type : {IFA_LOCAL, IFA_ADDRESS}) {
    auto* attribute = reinterpret_cast<rtattr*>(reinterpret_cast<char*>(&request) + length);
    attribute->rta_type = type;
    attribute->rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
    std::memcpy(RTA_DATA(attribute), address, size);
    length += RTA_ALIGN(attribute->rta_len);
  }
  request.header.nlmsg_len = static_cast<uint32_t>(length);

  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return errno;
  int err = 0;
  if (::send(fd, &request, length, 0) != static_cast<ssize_t>(length)) {
    err = errno;
  } else {
    char reply[512];
    ssize_t n = ::recv(fd, reply, sizeof(reply), 0);
    const auto* header = reinterpret_cast<const nlmsghdr*>(reply);
    if (n < 0) {
      err = errno;
    } else if (static_cast<size_t>(n) >= NLMSG_LENGTH(sizeof(nlmsgerr)) &&
               header->nlmsg_type == NLMSG_ERROR) {
      err = -reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(header))->error;
    }
  }
  ::close(fd);
  return err;
}

// A socket of `type` bound to `address`, listening if a stream; -1 with errno otherwise.
int BoundSocket(int family, int type, const sockaddr* address, socklen_t size) noexcept {
  int fd = ::socket(family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  int one = 1;
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (type == SOCK_STREAM) {
    // What these listeners accept is a loopback hop inside the job's namespace: no loss, no
    // queue, nothing for a congestion control to do. Reno (built in, open to every user)
    // sends as the window allows, where the host's default may pace: with BBR's pacing the
    // proxy's downloads ran at 0.72x bare, with Reno 0.82x (docs/performance.md, "Issue 17,
    // seventh pass"). Set here, before the job can connect, so every accepted socket
    // inherits it, the first included; should it fail, they keep the default: only slower.
    static constexpr char kReno[] = "reno";
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, kReno, sizeof(kReno) - 1);
  }
  if (::bind(fd, address, size) != 0 || (type == SOCK_STREAM && ::listen(fd, 4096) != 0)) {
    int err = errno;
    ::close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

bool HandOver(int sync_fd, egress::SocketRole role, int fd) noexcept {
  Record record = MakeErrorRecord(RecordKind::kEgressSocket, SetupStep::kSetUpEgress, 0,
                                  static_cast<int>(role), nullptr, nullptr);
  bool sent = SendRecordWithFd(sync_fd, record, fd);
  ::close(fd);
  return sent;
}

}  // namespace

StepError SetUpEgress(int sync_fd, uint16_t proxy_port) noexcept {
  const uint32_t own_v4 = htonl(egress::kSyntheticV4Base + 1);
  int err = AddLoopbackAddress(AF_INET, &own_v4, sizeof(own_v4));
  if (err != 0) return StepFailed(SetupStep::kSetUpEgress, err, "lo", "198.18.0.1");
  unsigned char own_v6[16] = {};
  std::memcpy(own_v6, egress::kSyntheticV6Prefix, sizeof(egress::kSyntheticV6Prefix));
  own_v6[15] = 1;
  err = AddLoopbackAddress(AF_INET6, own_v6, sizeof(own_v6));
  // EAFNOSUPPORT/EACCES: a kernel without IPv6 (or with it disabled): no IPv6 for the job either.
  bool ipv6 = err == 0;
  if (err != 0 && err != EAFNOSUPPORT && err != EACCES && err != EOPNOTSUPP) {
    return StepFailed(SetupStep::kSetUpEgress, err, "lo", "fd5b:5b5b::1");
  }

  sockaddr_in v4 = {};
  v4.sin_family = AF_INET;
  v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  v4.sin_port = htons(53);
  const auto* v4_address = reinterpret_cast<const sockaddr*>(&v4);
  int fd = BoundSocket(AF_INET, SOCK_DGRAM, v4_address, sizeof(v4));
  if (fd < 0) return StepFailed(SetupStep::kSetUpEgress, errno, "127.0.0.1:53", "udp");
  if (!HandOver(sync_fd, egress::SocketRole::kDnsUdp, fd)) {
    return StepFailed(SetupStep::kSetUpEgress, EPIPE);
  }
  fd = BoundSocket(AF_INET, SOCK_STREAM, v4_address, sizeof(v4));
  if (fd < 0) return StepFailed(SetupStep::kSetUpEgress, errno, "127.0.0.1:53", "tcp");
  if (!HandOver(sync_fd, egress::SocketRole::kDnsTcp, fd)) {
    return StepFailed(SetupStep::kSetUpEgress, EPIPE);
  }
  v4.sin_port = htons(proxy_port);
  fd = BoundSocket(AF_INET, SOCK_STREAM, v4_address, sizeof(v4));
  if (fd < 0) return StepFailed(SetupStep::kSetUpEgress, errno, "127.0.0.1", "proxy listener");
  if (!HandOver(sync_fd, egress::SocketRole::kProxyV4, fd)) {
    return StepFailed(SetupStep::kSetUpEgress, EPIPE);
  }
  if (ipv6) {
    sockaddr_in6 v6 = {};
    v6.sin6_family = AF_INET6;
    v6.sin6_addr = in6addr_loopback;
    v6.sin6_port = htons(proxy_port);
    fd = BoundSocket(AF_INET6, SOCK_STREAM, reinterpret_cast<const sockaddr*>(&v6), sizeof(v6));
    if (fd < 0) return StepFailed(SetupStep::kSetUpEgress, errno, "::1", "proxy listener");
    if (!HandOver(sync_fd, egress::SocketRole::kProxyV6, fd)) {
      return StepFailed(SetupStep::kSetUpEgress, EPIPE);
    }
  }
  return StepOk();
}

}  // namespace sandbox::child

#include "child/net.h"

#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/raw_log.h"

namespace sandbox::child {

StepError SetHostname(const char* hostname) noexcept {
  if (::sethostname(hostname, RawLength(hostname)) < 0) {
    return StepFailed(SetupStep::kSetHostname, errno, hostname);
  }
  return StepOk();
}

StepError BringUpLoopback() noexcept {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return StepFailed(SetupStep::kBringUpLoopback, errno, "lo");
  struct ifreq request = {};
  RawCopy(request.ifr_name, sizeof(request.ifr_name), "lo");
  int result = ::ioctl(fd, SIOCGIFFLAGS, &request);
  if (result == 0) {
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
    result = ::ioctl(fd, SIOCSIFFLAGS, &request);
  }
  int err = errno;
  ::close(fd);
  if (result < 0) return StepFailed(SetupStep::kBringUpLoopback, err, "lo");
  return StepOk();
}

}  // namespace sandbox::child

// sandbox-egress-proxy: the egress proxy process (proxy.h), started by the supervisor with
// its end of the control pair as descriptor 3, the read end of the claim pipe (one byte in it,
// Proxy's constructor says why) as descriptor 4 and the allow-list as arguments:
//   sandbox-egress-proxy [--log] [--allow HOST[:PORT]]... [--resolve HOST:ADDR]...
//                        [--numbered NAME]... [--idle-timeout SECONDS]
// Not meant to be run by hand (--idle-timeout is for tests: the supervisor never passes it).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "egress/confine.h"
#include "egress/proxy.h"

namespace {

constexpr int kControlFd = 3;
constexpr int kClaimFd = 4;

int Fail(const std::string& what) {
  std::fprintf(stderr, "sandbox: egress proxy: %s\n", what.c_str());
  return 125;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sandbox::egress;
  // The supervisor's own descriptors are close-on-exec, but whatever its caller left open
  // across exec came along: this process parses the job's bytes and holds nothing it does not
  // need (0 and 1 are /dev/null, 2 the caller's stderr for the one-line failures).
  ::close_range(kClaimFd + 1, ~0U, 0);
  // Dies with the supervisor that started it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (::getppid() == 1) return Fail("the supervisor is gone");
  ::signal(SIGPIPE, SIG_IGN);
  ProxyConfig config;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--log") {
      config.log_only = true;
    } else if (arg == "--idle-timeout" && i + 1 < argc) {
      char* end = nullptr;
      long seconds = std::strtol(argv[++i], &end, 10);
      if (*end != '\0' || seconds < 1 || seconds > 86400) return Fail("bad --idle-timeout");
      config.idle_timeout_seconds = static_cast<int>(seconds);
    } else if (arg == "--numbered" && i + 1 < argc) {
      std::string name = CanonicalName(argv[++i]);
      if (name.empty()) return Fail(std::string("bad --numbered ") + argv[i]);
      config.numbered.push_back(name);
    } else if ((arg == "--allow" || arg == "--resolve") && i + 1 < argc) {
      std::string value = argv[++i];
      if (arg == "--allow") {
        auto rule = ParseHostRule(value);
        if (!rule) return Fail(rule.error().ToString());
        config.allow.push_back(*rule);
      } else {
        auto pin = ParsePin(value);
        if (!pin) return Fail(pin.error().ToString());
        config.resolve.push_back(*pin);
      }
    } else {
      return Fail("unknown argument " + arg);
    }
  }
  // Each relayed connection holds two sockets.
  struct rlimit files;
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  Proxy proxy(std::move(config), kControlFd, kClaimFd);
  if (!proxy.Init()) return Fail("cannot start the event loop or the resolver");
  if (std::string error = ConfineProxy(); !error.empty()) return Fail(error);
  return proxy.Run();
}

#include "child/caps.h"

#include <linux/capability.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace sandbox::child {
namespace {

// capset(2) of the three sets, each a mask of capability numbers.
StepError SetCapabilitySets(uint64_t effective, uint64_t permitted, uint64_t inheritable) noexcept {
  struct __user_cap_header_struct header = {};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  for (int i = 0; i < 2; ++i) {
    data[i].effective = static_cast<uint32_t>(effective >> (32 * i));
    data[i].permitted = static_cast<uint32_t>(permitted >> (32 * i));
    data[i].inheritable = static_cast<uint32_t>(inheritable >> (32 * i));
  }
  if (::syscall(SYS_capset, &header, data) < 0) {
    return StepFailed(SetupStep::kDropCapabilities, errno, nullptr, "capset");
  }
  return StepOk();
}

}  // namespace

StepError DropCapabilities(int last_capability) noexcept {
  // Securebits first: changing them needs CAP_SETPCAP, which is about to go. NOROOT stops
  // execve() by uid 0 from refilling the permitted set; the _LOCKED bits stop the job from
  // turning that off again (capabilities(7), "The securebits flags").
  constexpr unsigned long kSecureBits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
                                        SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
                                        SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                                        SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
  if (::prctl(PR_SET_SECUREBITS, kSecureBits, 0, 0, 0) < 0) {
    return StepFailed(SetupStep::kDropCapabilities, errno, nullptr, "securebits");
  }
  // The bounding set also needs CAP_SETPCAP, so it goes before capset() empties permitted.
  for (int cap = 0; cap <= last_capability; ++cap) {
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) {
      return StepFailed(SetupStep::kDropCapabilities, errno, nullptr, "bounding set");
    }
  }
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) {
    return StepFailed(SetupStep::kDropCapabilities, errno, nullptr, "ambient set");
  }
  return ClearCapabilitySets();
}

StepError SetCapabilities(uint64_t keep, bool limit_bounding, int last_capability) noexcept {
  // "ALL" means every capability this kernel has; bits beyond it would make capset fail.
  if (last_capability < 63) keep &= (uint64_t{1} << (last_capability + 1)) - 1;
  auto kept = [keep](int cap) { return cap < 64 && (keep >> cap & 1) != 0; };
  if (limit_bounding) {
    for (int cap = 0; cap <= last_capability; ++cap) {
      // EINVAL: a capability this kernel does not have; EPERM: no CAP_SETPCAP, nothing to cut.
      if (!kept(cap) && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL &&
          errno != EPERM) {
        return StepFailed(SetupStep::kDropCapabilities, errno, nullptr, "bounding set");
      }
    }
  }
  StepError e = SetCapabilitySets(keep, keep, keep);
  return e.failed() ? e : RaiseAmbientCapabilities(keep, last_capability);
}

StepError RaiseAmbientCapabilities(uint64_t keep, int last_capability) noexcept {
  for (int cap = 0; cap <= last_capability && cap < 64; ++cap) {
    // The ambient set can only hold what is permitted and inheritable; EPERM/EINVAL for the
    // rest (e.g. not in the bounding set) is what bubblewrap ignores too.
    if ((keep >> cap & 1) != 0 && ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0 &&
        errno != EINVAL && errno != EPERM) {
      return StepFailed(SetupStep::kDropCapabilities, errno, nullptr, "ambient set");
    }
  }
  return StepOk();
}

StepError ClearCapabilitySets(uint64_t keep_permitted) noexcept {
  return SetCapabilitySets(0, keep_permitted, 0);
}

StepError SetNoNewPrivs() noexcept {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
    return StepFailed(SetupStep::kSetNoNewPrivs, errno);
  }
  return StepOk();
}

}  // namespace sandbox::child

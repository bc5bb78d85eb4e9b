#include "child/landlock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/landlock_abi.h"

namespace sandbox::child {
namespace {

// The kernel's structs (landlock(7)), spelled out for the same reason as landlock_abi.h.
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

struct __attribute__((packed)) PathBeneathAttr {
  uint64_t allowed_access;
  int32_t parent_fd;
};

constexpr int kRulePathBeneath = 1;

// The attribute struct grew with the ABI; an older kernel rejects a larger size it does not
// know, so pass only what this ABI has.
size_t RulesetAttrSize(int abi) noexcept {
  if (abi >= 6) return sizeof(RulesetAttr);
  if (abi >= 4) return 2 * sizeof(uint64_t);
  return sizeof(uint64_t);
}

}  // namespace

StepError ApplyLandlock(const ChildPlan& plan) noexcept {
  if (plan.landlock_abi <= 0) return StepOk();
  const uint64_t handled = landlock::HandledFsRights(plan.landlock_abi);
  RulesetAttr attr = {handled, 0, landlock::HandledScopes(plan.landlock_abi)};
  int ruleset = static_cast<int>(
      ::syscall(SYS_landlock_create_ruleset, &attr, RulesetAttrSize(plan.landlock_abi), 0));
  if (ruleset < 0) return StepFailed(SetupStep::kApplyLandlock, errno, nullptr, "create ruleset");

  for (const ChildPlan::LandlockRule& rule : plan.landlock_rules) {
    int fd = ::open(rule.path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT && rule.optional) continue;
      int err = errno;
      ::close(ruleset);
      return StepFailed(SetupStep::kApplyLandlock, err, rule.path);
    }
    struct stat st;
    uint64_t access = rule.access & handled;
    // Directory-only rights on a file make landlock_add_rule fail with EINVAL.
    if (::fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) access &= landlock::kFileRights;
    PathBeneathAttr beneath = {access, fd};
    long added =
        access == 0 ? 0 : ::syscall(SYS_landlock_add_rule, ruleset, kRulePathBeneath, &beneath, 0);
    int err = errno;
    ::close(fd);
    if (added < 0) {
      ::close(ruleset);
      return StepFailed(SetupStep::kApplyLandlock, err, rule.path, "add rule");
    }
  }
  long restricted = ::syscall(SYS_landlock_restrict_self, ruleset, 0);
  int err = errno;
  ::close(ruleset);
  if (restricted < 0) return StepFailed(SetupStep::kApplyLandlock, err, nullptr, "restrict self");
  return StepOk();
}

}  // namespace sandbox::child

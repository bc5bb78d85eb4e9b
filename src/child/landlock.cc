#include "child/landlock.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "common/landlock_abi.h"
#include "common/record.h"

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

StepError CreateLandlockRuleset(const ChildPlan& plan, int* ruleset) noexcept {
  *ruleset = -1;
  if (plan.landlock_abi <= 0) return StepOk();
  // --isolation landlock without --share-net: TCP handled and no rule added, so no bind or
  // connect at all (there is no network namespace to keep the job off the host's).
  uint64_t net = plan.landlock_net && plan.landlock_abi >= 4
                     ? landlock::kNetBindTcp | landlock::kNetConnectTcp
                     : 0;
  RulesetAttr attr = {landlock::HandledFsRights(plan.landlock_abi), net,
                      landlock::HandledScopes(plan.landlock_abi)};
  int fd = static_cast<int>(
      ::syscall(SYS_landlock_create_ruleset, &attr, RulesetAttrSize(plan.landlock_abi), 0));
  if (fd < 0) return StepFailed(SetupStep::kApplyLandlock, errno, nullptr, "create ruleset");
  *ruleset = fd;
  return StepOk();
}

StepError AddLandlockRule(const ChildPlan& plan, int ruleset, int fd, uint64_t access,
                          const char* what) noexcept {
  struct stat st;
  access &= landlock::HandledFsRights(plan.landlock_abi);
  // Directory-only rights on a file make landlock_add_rule fail with EINVAL.
  if (::fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) access &= landlock::kFileRights;
  if (access == 0) return StepOk();
  PathBeneathAttr beneath = {access, fd};
  if (::syscall(SYS_landlock_add_rule, ruleset, kRulePathBeneath, &beneath, 0) < 0) {
    return StepFailed(SetupStep::kApplyLandlock, errno, what, "add rule");
  }
  return StepOk();
}

StepError RestrictWithRuleset(int ruleset) noexcept {
  long restricted = ::syscall(SYS_landlock_restrict_self, ruleset, 0);
  int err = errno;
  ::close(ruleset);
  if (restricted < 0) return StepFailed(SetupStep::kApplyLandlock, err, nullptr, "restrict self");
  return StepOk();
}

void ReportLandlockObject(int sync_fd, int fd, const char* what) noexcept {
  struct stat st;
  if (::fstat(fd, &st) != 0) return;
  Record record;
  record.kind = RecordKind::kLandlockObject;
  record.device = static_cast<uint64_t>(st.st_dev);
  record.inode = static_cast<uint64_t>(st.st_ino);
  size_t i = 0;
  for (; what[i] != '\0' && i + 1 < sizeof(record.path); ++i) record.path[i] = what[i];
  record.path[i] = '\0';
  SendRecord(sync_fd, record);
}

StepError ApplyLandlock(const ChildPlan& plan) noexcept {
  int ruleset = -1;
  StepError e = CreateLandlockRuleset(plan, &ruleset);
  if (e.failed() || ruleset < 0) return e;
  // The rules name the objects the run's own rules name, checked by device and inode: the job
  // may have replaced a component of a rule's path (a directory it can write) with a symlink
  // or another directory since, which would widen what the entered process may write.
  if (!plan.landlock_objects_known) {
    ::close(ruleset);
    return StepFailed(SetupStep::kApplyLandlock, ENOENT, nullptr,
                      "the run did not record its Landlock objects (started by an older sandbox)");
  }
  for (const ChildPlan::LandlockRule& rule : plan.landlock_rules) {
    if (!rule.recorded) continue;  // the run added no rule there (an optional bind skipped)
    int fd = ::open(rule.path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      ::close(ruleset);
      return StepFailed(SetupStep::kApplyLandlock, err, rule.path);
    }
    struct stat st;
    if (::fstat(fd, &st) != 0 || static_cast<uint64_t>(st.st_dev) != rule.device ||
        static_cast<uint64_t>(st.st_ino) != rule.inode) {
      ::close(fd);
      ::close(ruleset);
      return StepFailed(SetupStep::kApplyLandlock, EXDEV, rule.path,
                        "is no longer what the run's rule names (replaced since the run began)");
    }
    e = AddLandlockRule(plan, ruleset, fd, rule.access, rule.path);
    ::close(fd);
    if (e.failed()) {
      ::close(ruleset);
      return e;
    }
  }
  return RestrictWithRuleset(ruleset);
}

}  // namespace sandbox::child

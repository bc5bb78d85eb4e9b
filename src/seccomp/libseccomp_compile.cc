#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

#include "common/unique_fd.h"
#include "seccomp/compile.h"
#include "seccomp/rules.h"

namespace sandbox::seccomp {
namespace {

struct ContextDeleter {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

constexpr uint64_t kLow32 = 0xffffffffu;

// An ArgTest as libseccomp's comparison. For `low32` tests the upper half must not decide:
// equality becomes a masked comparison over the low half; "greater than" stays a 64-bit
// comparison, which is true whenever the upper half is set, so it can only deny more.
scmp_arg_cmp ToComparison(const ArgTest& test) {
  scmp_arg_cmp cmp = {};
  cmp.arg = test.index;
  switch (test.op) {
    case ArgTest::Op::kEqual:
      if (test.low32) {
        cmp.op = SCMP_CMP_MASKED_EQ;
        cmp.datum_a = kLow32;
        cmp.datum_b = test.value;
      } else {
        cmp.op = SCMP_CMP_EQ;
        cmp.datum_a = test.value;
      }
      break;
    case ArgTest::Op::kGreater:
      cmp.op = SCMP_CMP_GT;
      cmp.datum_a = test.value;
      break;
    case ArgTest::Op::kMaskedEqual:
      cmp.op = SCMP_CMP_MASKED_EQ;
      cmp.datum_a = test.low32 ? (test.mask & kLow32) : test.mask;
      cmp.datum_b = test.value;
      break;
  }
  return cmp;
}

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

Error LibraryError(const std::string& what, int rc) {
  return MakeError("cannot compile the seccomp filter: " + what, rc < 0 ? -rc : EINVAL);
}

Result<void> AddRule(scmp_filter_ctx ctx, uint32_t action, const std::string& name,
                     const std::vector<ArgTest>& tests) {
  int nr = seccomp_syscall_resolve_name(name.c_str());
  if (nr == __NR_SCMP_ERROR) return MakeError("unknown system call \"" + name + "\"");
  std::vector<scmp_arg_cmp> cmps;
  cmps.reserve(tests.size());
  for (const ArgTest& test : tests) cmps.push_back(ToComparison(test));
  int rc = seccomp_rule_add_array(ctx, action, nr, static_cast<unsigned>(cmps.size()),
                                  cmps.empty() ? nullptr : cmps.data());
  if (rc < 0) return LibraryError("rule for " + name, rc);
  return {};
}

// What a rule's match returns under the chosen action.
uint32_t ActionFor(Answer answer, int error, Action action) {
  switch (answer) {
    case Answer::kNotPresent:
      return SCMP_ACT_ERRNO(static_cast<uint16_t>(error));
    case Answer::kCheckValue:
    case Answer::kMediate:
      return SCMP_ACT_NOTIFY;
    case Answer::kDeny:
      break;
  }
  // errno and log both go through the supervisor, which counts the call and answers with the
  // entry's errno or lets it continue.
  return action == Action::kKill ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_NOTIFY;
}

Result<std::vector<sock_filter>> Export(scmp_filter_ctx ctx) {
  // libseccomp 2.5 exports to a descriptor only.
  UniqueFd memory(::memfd_create("seccomp-bpf", MFD_CLOEXEC));
  if (!memory) return MakeError("cannot create a memfd for the seccomp filter", errno);
  int rc = seccomp_export_bpf(ctx, memory.get());
  if (rc < 0) return LibraryError("export", rc);
  off_t size = ::lseek(memory.get(), 0, SEEK_END);
  if (size <= 0 || size % static_cast<off_t>(sizeof(sock_filter)) != 0) {
    return MakeError("cannot compile the seccomp filter: export gave " + std::to_string(size) +
                     " bytes");
  }
  std::vector<sock_filter> program(static_cast<size_t>(size) / sizeof(sock_filter));
  if (::pread(memory.get(), program.data(), static_cast<size_t>(size), 0) != size) {
    return MakeError("cannot read back the seccomp filter", errno);
  }
  return program;
}

}  // namespace

Result<Filter> CompileWithLibseccomp(const Settings& settings) {
  Context ctx(seccomp_init(SCMP_ACT_ALLOW));
  if (!ctx) return MakeError("cannot compile the seccomp filter: seccomp_init failed");
  // x86_64 is native; i386 (int 0x80) and x32 get the same rules. Anything else dies.
  for (uint32_t arch : {uint32_t{SCMP_ARCH_X86}, uint32_t{SCMP_ARCH_X32}}) {
    int rc = seccomp_arch_add(ctx.get(), arch);
    if (rc < 0 && rc != -EEXIST) return LibraryError("adding an ABI", rc);
  }
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
  // The child sets no_new_privs itself, as its own step.
  if (rc == 0) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
  // A binary tree over syscall numbers: a call without rules costs a few comparisons, not a
  // walk down the whole list.
  if (rc == 0) rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
  if (rc < 0) return LibraryError("setting filter attributes", rc);

  Filter filter;
  for (const Rule& rule : DefaultRules()) {
    std::string name(rule.syscall);
    if (Contains(settings.allow, name) || Contains(settings.deny, name)) continue;
    uint32_t action = ActionFor(rule.answer, rule.error, settings.action);
    if (action == SCMP_ACT_NOTIFY) filter.needs_listener = true;
    if (auto r = AddRule(ctx.get(), action, name, rule.tests); !r) return r.error();
  }
  if (settings.fence_fifos) {
    for (const Rule& rule : FifoFenceRules()) {
      std::string name(rule.syscall);
      if (Contains(settings.allow, name) || Contains(settings.deny, name)) continue;
      filter.needs_listener = true;
      if (auto r = AddRule(ctx.get(), SCMP_ACT_NOTIFY, name, rule.tests); !r) return r.error();
    }
  }
  for (const std::string& name : settings.deny) {
    if (Contains(settings.allow, name)) continue;
    uint32_t action = ActionFor(Answer::kDeny, 0, settings.action);
    if (action == SCMP_ACT_NOTIFY) filter.needs_listener = true;
    if (auto r = AddRule(ctx.get(), action, name, {}); !r) return r.error();
  }
  if (settings.unix_sockets_only) {
    // Every family above AF_UNIX (1), netlink among them (AF_UNSPEC has no sockets). One more
    // rule on socket beside the default list's, which ORs with them; kept even when the
    // caller allows socket, since here it is the network's only fence.
    uint32_t action = ActionFor(Answer::kDeny, EAFNOSUPPORT, settings.action);
    if (action == SCMP_ACT_NOTIFY) filter.needs_listener = true;
    ArgTest above_unix{0, ArgTest::Op::kGreater, 1, 0, true};
    if (auto r = AddRule(ctx.get(), action, "socket", {above_unix}); !r) return r.error();
  }
  auto program = Export(ctx.get());
  if (!program) return program.error();
  filter.program = std::move(program).value();
  return filter;
}

}  // namespace sandbox::seccomp

// The built-in default seccomp policy as data: which system calls the job may not make, under
// which argument conditions, what it gets back, and why each entry is there. docs/seccomp.md
// is the same list for people; a unit test keeps the two in step.
#ifndef SANDBOX_SECCOMP_RULES_H_
#define SANDBOX_SECCOMP_RULES_H_

#include <cstdint>
#include <string_view>
#include <vector>

namespace sandbox::seccomp {

/// One comparison on one argument. Arguments the kernel declares as int or unsigned int are
/// compared on their low 32 bits only (`low32`): the kernel ignores the upper half, so a
/// 64-bit comparison could be dodged by setting it.
struct ArgTest {
  enum class Op : uint8_t { kEqual, kGreater, kMaskedEqual };
  unsigned index = 0;
  Op op = Op::kEqual;
  uint64_t value = 0;
  uint64_t mask = 0;  // kMaskedEqual: (arg & mask) == value
  bool low32 = false;
};

/// How a matching call is answered.
enum class Answer : uint8_t {
  kDeny,        // the policy's action: EPERM/`error` (errno), SIGSYS (kill), allowed (log)
  kNotPresent,  // ENOSYS whatever the action: clone3, so libc falls back to clone
  kCheckValue,  // the supervisor decides from the argument value (personality)
  kMediate,     // the supervisor makes the call for the job (the socket fence), any action
};

struct Rule {
  std::string_view syscall;
  std::vector<ArgTest> tests;  // all must hold; empty: every call
  Answer answer = Answer::kDeny;
  int error = 0;  // errno for kDeny under action errno (0: EPERM)
};

/// The default deny list, grouped as docs/seccomp.md groups it. Several rules for one syscall
/// mean any of them denies.
const std::vector<Rule>& DefaultRules();

/// The FIFO fence, for runs without Landlock (Settings::fence_fifos): open(2), openat(2) with
/// write access and without O_PATH (flags are a register value the job cannot change after the
/// check), creat(2), and every openat2(2) (its flags are in memory), made by the supervisor.
const std::vector<Rule>& FifoFenceRules();

/// personality(2) values the job may set: PER_LINUX and PER_LINUX32, with UNAME26 and
/// ADDR_NO_RANDOMIZE (debuggers and sanitizers turn ASLR off), and 0xffffffff (the query).
bool IsHarmlessPersonality(uint64_t value);

}  // namespace sandbox::seccomp

#endif  // SANDBOX_SECCOMP_RULES_H_

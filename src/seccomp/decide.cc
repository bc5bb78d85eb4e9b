#include "seccomp/decide.h"

#include <cerrno>

#include "seccomp/rules.h"

namespace sandbox::seccomp {
namespace {

// The errno the default list gives `syscall`, EPERM for calls it does not name.
int ErrorFor(std::string_view syscall) {
  for (const Rule& rule : DefaultRules()) {
    if (rule.syscall == syscall && rule.answer == Answer::kDeny && rule.error != 0) {
      return rule.error;
    }
  }
  return EPERM;
}

}  // namespace

Verdict Decide(const Settings& settings, std::string_view syscall, uint64_t first_arg) {
  Verdict verdict;
  if (syscall == "personality" && IsHarmlessPersonality(first_arg)) {
    verdict.proceed = true;
    return verdict;
  }
  verdict.denial = true;
  if (settings.action == Action::kLog) {
    verdict.proceed = true;
    return verdict;
  }
  // kErrno, and kKill for the value checks a kill rule cannot express (personality).
  verdict.error = ErrorFor(syscall);
  return verdict;
}

}  // namespace sandbox::seccomp

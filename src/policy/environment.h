// The job's environment: the caller's variables let in by name or pattern (never one a deny
// pattern matches), then the profile's and the flags' edits in order. Pure, so unit-tested.
#ifndef SANDBOX_POLICY_ENVIRONMENT_H_
#define SANDBOX_POLICY_ENVIRONMENT_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/options.h"
#include "common/env_pattern.h"
#include "common/result.h"

namespace sandbox::policy {

using EnvList = std::vector<std::pair<std::string, std::string>>;

using sandbox::IsEnvPattern;
using sandbox::MatchEnvPattern;

struct EnvInputs {
  bool keep_env = false;  // start from the caller's whole environment (minus denied names)
  EnvList defaults;       // the clean start when !keep_env (PATH, HOME)
  /// Names and patterns of the caller's variables to let in ([env] pass, TERM and LANG).
  std::vector<std::string> pass;
  /// Patterns never taken from the caller, except by an exact name in `pass` or --pass-env.
  std::vector<std::string> deny;
  std::vector<cli::EnvRequest> edits;  // [env] set/unset then the flags, in order
  const EnvList* caller = nullptr;
};

struct JobEnvironment {
  EnvList env;  // in a stable order: the start, then additions in the order they were made
  /// Names of the caller's variables (never values), each in one list, sorted: `passed` have
  /// the caller's value inside; `denied` matched a pass pattern (or --keep-env) but a deny
  /// pattern too; `dropped` are the rest (not asked for, or replaced by a set/unset).
  std::vector<std::string> passed;
  std::vector<std::string> denied;
  std::vector<std::string> dropped;
};

/// Fails on an invalid name in a set (empty or with '=').
Result<JobEnvironment> BuildJobEnvironment(const EnvInputs& in);

}  // namespace sandbox::policy

#endif  // SANDBOX_POLICY_ENVIRONMENT_H_

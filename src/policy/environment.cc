#include "policy/environment.h"

#include <algorithm>
#include <set>

namespace sandbox::policy {

namespace {

class EnvBuilder {
 public:
  explicit EnvBuilder(const EnvInputs& in) : in_(in) {}

  Result<JobEnvironment> Build() {
    static const EnvList kNone;
    const EnvList& caller = in_.caller != nullptr ? *in_.caller : kNone;
    if (in_.keep_env) {
      for (const auto& [k, v] : caller) {
        if (Denied(k, in_.pass)) {
          denied_.insert(k);
        } else {
          Pass(k, v);
        }
      }
    } else {
      for (const auto& [k, v] : in_.defaults) Set(k, v);
      for (const auto& [k, v] : caller) PassIfAsked(k, v, in_.pass);
    }
    for (const cli::EnvRequest& request : in_.edits) {
      switch (request.op) {
        case cli::EnvRequest::Op::kClear:
          out_.env.clear();
          from_caller_.clear();
          break;
        case cli::EnvRequest::Op::kUnset:
          std::erase_if(out_.env, [&](const auto& kv) { return kv.first == request.name; });
          from_caller_.erase(request.name);
          break;
        case cli::EnvRequest::Op::kSet:
          if (request.name.empty() || request.name.find('=') != std::string::npos) {
            Error e = MakeError("invalid environment variable name \"" + request.name + "\"");
            e.hint = "names must be non-empty and contain no '='";
            return e;
          }
          Set(request.name, request.value);
          from_caller_.erase(request.name);
          break;
        case cli::EnvRequest::Op::kPass:
          for (const auto& [k, v] : caller) PassIfAsked(k, v, {request.name});
          break;
      }
    }
    std::set<std::string> seen;
    for (const auto& kv : caller) {
      const std::string& k = kv.first;
      if (!seen.insert(k).second) continue;
      if (from_caller_.contains(k)) {
        out_.passed.push_back(k);
      } else if (denied_.contains(k)) {
        out_.denied.push_back(k);
      } else {
        out_.dropped.push_back(k);
      }
    }
    for (auto* list : {&out_.passed, &out_.denied, &out_.dropped})
      std::sort(list->begin(), list->end());
    return std::move(out_);
  }

 private:
  // An exact name asked for is the caller's decision and passes; a pattern never lets in a
  // name a deny pattern matches (`GITHUB_*` must not bring GITHUB_TOKEN).
  bool Denied(const std::string& name, const std::vector<std::string>& pass) const {
    for (const std::string& p : pass) {
      if (!IsEnvPattern(p) && p == name) return false;
    }
    return std::any_of(in_.deny.begin(), in_.deny.end(),
                       [&](const std::string& d) { return MatchEnvPattern(d, name); });
  }

  void PassIfAsked(const std::string& k, const std::string& v,
                   const std::vector<std::string>& pass) {
    bool asked = std::any_of(pass.begin(), pass.end(),
                             [&](const std::string& p) { return MatchEnvPattern(p, k); });
    if (!asked) return;
    if (Denied(k, pass)) {
      denied_.insert(k);
      return;
    }
    Pass(k, v);
  }

  void Pass(const std::string& k, const std::string& v) {
    Set(k, v);
    from_caller_.insert(k);
    denied_.erase(k);
  }

  void Set(const std::string& name, const std::string& value) {
    for (auto& [k, v] : out_.env) {
      if (k == name) {
        v = value;
        return;
      }
    }
    out_.env.emplace_back(name, value);
  }

  const EnvInputs& in_;
  JobEnvironment out_;
  std::set<std::string> from_caller_;
  std::set<std::string> denied_;
};

}  // namespace

Result<JobEnvironment> BuildJobEnvironment(const EnvInputs& in) { return EnvBuilder(in).Build(); }

}  // namespace sandbox::policy

#include "profile/merge.h"

#include <algorithm>

namespace sandbox::profile {
namespace {

template <typename T>
void Override(std::optional<T>& into, std::optional<T>& from) {
  if (from) into = std::move(from);
}

bool Contains(const std::vector<Located<std::string>>& names, const std::string& name) {
  return std::any_of(names.begin(), names.end(),
                     [&](const Located<std::string>& n) { return n.value == name; });
}

void EraseName(std::vector<Located<std::string>>& names, const std::string& name) {
  std::erase_if(names, [&](const Located<std::string>& n) { return n.value == name; });
}

void EraseName(std::vector<std::pair<std::string, Located<std::string>>>& set,
               const std::string& name) {
  std::erase_if(set, [&](const auto& kv) { return kv.first == name; });
}

void MergeEnv(EnvSpec& base, EnvSpec& derived) {
  Override(base.clear, derived.clear);
  for (auto& name : derived.pass) {
    EraseName(base.set, name.value);
    EraseName(base.unset, name.value);
    EraseName(base.deny, name.value);
    if (!Contains(base.pass, name.value)) base.pass.push_back(std::move(name));
  }
  for (auto& name : derived.deny) {
    EraseName(base.pass, name.value);
    if (!Contains(base.deny, name.value)) base.deny.push_back(std::move(name));
  }
  for (auto& name : derived.unset) {
    EraseName(base.set, name.value);
    EraseName(base.pass, name.value);
    if (!Contains(base.unset, name.value)) base.unset.push_back(std::move(name));
  }
  for (auto& entry : derived.set) {
    const std::string& name = entry.first;
    EraseName(base.pass, name);
    EraseName(base.unset, name);
    auto it = std::find_if(base.set.begin(), base.set.end(),
                           [&](const auto& kv) { return kv.first == name; });
    if (it != base.set.end()) {
      it->second = std::move(entry.second);
    } else {
      base.set.push_back(std::move(entry));
    }
  }
}

// A name the derived profile denies or allows leaves the base's other list.
void MergeSeccomp(ProfileSpec::Seccomp& base, ProfileSpec::Seccomp& derived) {
  Override(base.policy, derived.policy);
  Override(base.action, derived.action);
  for (auto& name : derived.deny) {
    EraseName(base.allow, name.value);
    EraseName(base.deny, name.value);
    base.deny.push_back(std::move(name));
  }
  for (auto& name : derived.allow) {
    EraseName(base.deny, name.value);
    EraseName(base.allow, name.value);
    base.allow.push_back(std::move(name));
  }
}

// A path named in protect or unprotect leaves the base's other list.
void MergeWorkspace(WorkspaceSpec& base, WorkspaceSpec& derived) {
  Override(base.mode, derived.mode);
  Override(base.vcs, derived.vcs);
  for (auto& path : derived.protect) {
    EraseName(base.unprotect, path.value);
    if (!Contains(base.protect, path.value)) base.protect.push_back(std::move(path));
  }
  for (auto& path : derived.unprotect) {
    EraseName(base.protect, path.value);
    if (!Contains(base.unprotect, path.value)) base.unprotect.push_back(std::move(path));
  }
}

void MergeCaches(std::vector<CacheSpec>& base, std::vector<CacheSpec>& derived) {
  for (auto& cache : derived) {
    auto it = std::find_if(base.begin(), base.end(),
                           [&](const CacheSpec& c) { return c.name.value == cache.name.value; });
    if (it != base.end()) {
      *it = std::move(cache);
    } else {
      base.push_back(std::move(cache));
    }
  }
}

}  // namespace

void MergeInto(ProfileSpec& base, ProfileSpec derived) {
  Override(base.hostname, derived.hostname);
  Override(base.network, derived.network);
  Override(base.proc, derived.proc);
  Override(base.isolation, derived.isolation);
  Override(base.cwd, derived.cwd);
  Override(base.uid, derived.uid);
  Override(base.gid, derived.gid);
  Override(base.landlock, derived.landlock);
  MergeEnv(base.env, derived.env);
  MergeSeccomp(base.seccomp, derived.seccomp);
  for (auto& m : derived.mounts) base.mounts.push_back(std::move(m));
  MergeWorkspace(base.workspace, derived.workspace);
  MergeCaches(base.caches, derived.caches);
  for (auto [into, from] :
       {std::pair{&base.network_rules.allow, &derived.network_rules.allow},
        std::pair{&base.network_rules.resolve, &derived.network_rules.resolve}}) {
    for (auto& entry : *from) {
      if (!Contains(*into, entry.value)) into->push_back(std::move(entry));
    }
  }
  for (auto& l : derived.limits) base.limits.push_back(std::move(l));
  for (auto& file : derived.chain) base.chain.push_back(std::move(file));
  base.path = std::move(derived.path);
  base.extends = std::move(derived.extends);
}

}  // namespace sandbox::profile

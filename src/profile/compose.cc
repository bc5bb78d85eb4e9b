#include "profile/compose.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/env_pattern.h"
#include "profile/merge.h"

namespace sandbox::profile {
namespace {

bool SameMount(const MountSpec& a, const MountSpec& b) {
  auto source = [](const MountSpec& m) { return m.source ? m.source->value : std::string(); };
  return a.kind == b.kind && a.socket == b.socket && source(a) == source(b) &&
         a.target.value == b.target.value && a.optional == b.optional &&
         a.size_bytes == b.size_bytes && a.mode == b.mode && a.content == b.content;
}

bool SameCache(const CacheSpec& a, const CacheSpec& b) {
  auto value = [](const std::optional<Located<std::string>>& v) {
    return v ? v->value : std::string();
  };
  return a.target.value == b.target.value && value(a.host) == value(b.host) &&
         value(a.share) == value(b.share);
}

// Folds the parts one file at a time. A value in the spec built so far is "foreign" to the part
// being added when the file it was written in came from another part's chain: that is where
// the extends rules (the later file refines) give way to the conflict rules.
class Composer {
 public:
  Result<void> Add(ComposePart& part) {
    label_ = part.label;
    own_.clear();
    own_.insert(part.keys.begin(), part.keys.end());
    for (size_t i = 0; i < part.files.size(); ++i) {
      const std::string& key = part.keys[i];
      if (label_of_key_.count(key) != 0) continue;  // an earlier part brought this file in
      ProfileSpec& file = part.files[i];
      if (auto r = Reconcile(file); !r) return r;
      key_of_path_[file.path] = key;
      label_of_key_[key] = label_;
      MergeInto(spec_, std::move(file));
    }
    spec_.names.push_back(part.label);
    return {};
  }

  ProfileSpec Take() && {
    for (const std::string& name : spec_.names) {
      spec_.name += (spec_.name.empty() ? "" : ", ") + name;
    }
    return std::move(spec_);
  }

 private:
  // The label of the other part whose file wrote at `where`; nullptr when the current part's
  // own chain wrote it (or nothing known did).
  const std::string* Foreign(const SourceLocation& where) const {
    auto key = key_of_path_.find(where.file);
    if (key == key_of_path_.end() || own_.count(key->second) != 0) return nullptr;
    return &label_of_key_.at(key->second);
  }

  Error Conflict(const std::string& other, const SourceLocation& theirs, const SourceLocation& ours,
                 const std::string& what) const {
    Error e = MakeError("--profile " + other + " and --profile " + label_ + " disagree on " + what +
                        " (" + theirs.ToString() + " vs " + ours.ToString() + ")");
    e.hint =
        "leave one of them out, or write a profile that extends one of them and says what it "
        "wants (flags cannot settle it: they apply after the composition)";
    return e;
  }

  template <typename T>
  Result<void> Scalar(const std::optional<Located<T>>& have, const std::optional<Located<T>>& next,
                      const std::string& what) const {
    if (!have || !next || have->value == next->value) return {};
    if (const std::string* other = Foreign(have->where)) {
      return Conflict(*other, have->where, next->where, what);
    }
    return {};
  }

  Result<void> Scalars(const ProfileSpec& f) const {
    const ProfileSpec& s = spec_;
    for (auto r :
         {Scalar(s.hostname, f.hostname, "[sandbox] hostname"),
          Scalar(s.network, f.network, "[sandbox] network"), Scalar(s.cwd, f.cwd, "[sandbox] cwd"),
          Scalar(s.uid, f.uid, "[sandbox] uid"), Scalar(s.gid, f.gid, "[sandbox] gid"),
          Scalar(s.landlock, f.landlock, "[sandbox] landlock"),
          Scalar(s.isolation, f.isolation, "[sandbox] isolation"),
          Scalar(s.env.clear, f.env.clear, "[env] clear"),
          Scalar(s.workspace.mode, f.workspace.mode, "[workspace] mode"),
          Scalar(s.workspace.vcs, f.workspace.vcs, "[workspace] vcs"),
          Scalar(s.seccomp.policy, f.seccomp.policy, "[seccomp] policy"),
          Scalar(s.seccomp.action, f.seccomp.action, "[seccomp] action")}) {
      if (!r) return r;
    }
    return {};
  }

  // A foreign entry of `list` that is exactly `name`, or nullptr.
  const Located<std::string>* ForeignEntry(const std::vector<Located<std::string>>& list,
                                           const std::string& name) const {
    for (const auto& entry : list) {
      if (entry.value == name && Foreign(entry.where)) return &entry;
    }
    return nullptr;
  }

  // pass/deny: unions where deny wins; set, pass-by-name and unset of one name in two parts
  // contradict each other.
  Result<void> Env(EnvSpec& f) {
    EnvSpec& s = spec_.env;
    for (const auto& [name, value] : f.set) {
      for (const auto& [have, have_value] : s.set) {
        if (have != name || have_value.value == value.value) continue;
        if (const std::string* other = Foreign(have_value.where)) {
          return Conflict(*other, have_value.where, value.where, "[env] set " + name);
        }
      }
      for (const auto* list : {&s.pass, &s.unset}) {
        if (const auto* entry = ForeignEntry(*list, name)) {
          return Conflict(
              *Foreign(entry->where), entry->where, value.where,
              std::string("[env] ") + (list == &s.pass ? "pass" : "unset") + " or set " + name);
        }
      }
    }
    for (const auto& name : f.unset) {
      for (const auto& [have, have_value] : s.set) {
        if (have != name.value) continue;
        if (const std::string* other = Foreign(have_value.where)) {
          return Conflict(*other, have_value.where, name.where, "[env] set or unset " + have);
        }
      }
      if (const auto* entry = ForeignEntry(s.pass, name.value)) {
        return Conflict(*Foreign(entry->where), entry->where, name.where,
                        "[env] pass or unset " + name.value);
      }
    }
    for (const auto& name : f.pass) {
      if (IsEnvPattern(name.value)) continue;
      for (const auto& [have, have_value] : s.set) {
        if (have != name.value) continue;
        if (const std::string* other = Foreign(have_value.where)) {
          return Conflict(*other, have_value.where, name.where, "[env] set or pass " + have);
        }
      }
      if (const auto* entry = ForeignEntry(s.unset, name.value)) {
        return Conflict(*Foreign(entry->where), entry->where, name.where,
                        "[env] unset or pass " + name.value);
      }
    }
    // Deny wins between parts: what one denies, another's pass (a name the pattern matches, or
    // the very same pattern) does not let in; MergeInto would otherwise let a pass entry
    // remove the same text from deny.
    auto denied_by = [](const std::vector<Located<std::string>>& deny, const auto& pred,
                        const std::string& pass) {
      return std::any_of(deny.begin(), deny.end(), [&](const Located<std::string>& d) {
        return pred(d) &&
               (d.value == pass || (!IsEnvPattern(pass) && MatchEnvPattern(d.value, pass)));
      });
    };
    auto foreign = [this](const Located<std::string>& d) { return Foreign(d.where) != nullptr; };
    auto any = [](const Located<std::string>&) { return true; };
    std::erase_if(
        f.pass, [&](const Located<std::string>& p) { return denied_by(s.deny, foreign, p.value); });
    std::erase_if(s.pass, [&](const Located<std::string>& p) {
      return Foreign(p.where) && denied_by(f.deny, any, p.value);
    });
    return {};
  }

  Result<void> Seccomp(const ProfileSpec::Seccomp& f) const {
    const ProfileSpec::Seccomp& s = spec_.seccomp;
    for (const auto& name : f.deny) {
      if (const auto* entry = ForeignEntry(s.allow, name.value)) {
        return Conflict(*Foreign(entry->where), entry->where, name.where,
                        "[seccomp] allow or deny " + name.value);
      }
    }
    for (const auto& name : f.allow) {
      if (const auto* entry = ForeignEntry(s.deny, name.value)) {
        return Conflict(*Foreign(entry->where), entry->where, name.where,
                        "[seccomp] deny or allow " + name.value);
      }
    }
    return {};
  }

  // Mounts of two parts at one target must be the same mount (then it is made once).
  Result<void> Mounts(std::vector<MountSpec>& mounts) const {
    for (auto it = mounts.begin(); it != mounts.end();) {
      bool duplicate = false;
      for (const MountSpec& have : spec_.mounts) {
        if (have.target.value != it->target.value) continue;
        const std::string* other = Foreign(have.where);
        if (other == nullptr) continue;
        if (!SameMount(have, *it)) {
          return Conflict(*other, have.where, it->where, "[[mount]] " + have.target.value);
        }
        duplicate = true;
      }
      it = duplicate ? mounts.erase(it) : it + 1;
    }
    return {};
  }

  Result<void> Caches(const std::vector<CacheSpec>& caches) const {
    for (const CacheSpec& cache : caches) {
      for (const CacheSpec& have : spec_.caches) {
        const std::string* other = Foreign(have.name.where);
        if (other == nullptr) continue;
        bool same_name = have.name.value == cache.name.value;
        if (same_name && !SameCache(have, cache)) {
          return Conflict(*other, have.name.where, cache.name.where,
                          "[[cache]] " + cache.name.value);
        }
        if (!same_name && have.target.value == cache.target.value) {
          return Conflict(*other, have.target.where, cache.target.where,
                          "[[cache]] target " + cache.target.value + " (caches " + have.name.value +
                              " and " + cache.name.value + ")");
        }
      }
    }
    return {};
  }

  Result<void> Limits(const ProfileSpec& f) const {
    for (const auto& [name, value] : f.limits) {
      for (const auto& [have, have_value] : spec_.limits) {
        if (have != name || have_value.value == value.value) continue;
        if (const std::string* other = Foreign(have_value.where)) {
          return Conflict(*other, have_value.where, value.where, "[limits] " + name);
        }
      }
    }
    return {};
  }

  // Checks `f` against the spec so far and drops from both what the rules above drop.
  Result<void> Reconcile(ProfileSpec& f) {
    if (auto r = Scalars(f); !r) return r;
    if (auto r = Env(f.env); !r) return r;
    if (auto r = Seccomp(f.seccomp); !r) return r;
    if (auto r = Mounts(f.mounts); !r) return r;
    if (auto r = Caches(f.caches); !r) return r;
    if (auto r = Limits(f); !r) return r;
    // Protect wins: another part's protected path stays protected.
    std::erase_if(f.workspace.unprotect, [&](const Located<std::string>& path) {
      return ForeignEntry(spec_.workspace.protect, path.value) != nullptr;
    });
    return {};
  }

  ProfileSpec spec_;
  std::string label_;                                // the part being added
  std::set<std::string> own_;                        // the keys of its whole chain
  std::map<std::string, std::string> key_of_path_;   // an applied file's path -> key
  std::map<std::string, std::string> label_of_key_;  // an applied file's key -> its part
};

}  // namespace

Result<ProfileSpec> Compose(std::vector<ComposePart> parts) {
  Composer composer;
  for (ComposePart& part : parts) {
    if (auto r = composer.Add(part); !r) return r.error();
  }
  return std::move(composer).Take();
}

}  // namespace sandbox::profile

#include "policy/from_profile.h"

#include <limits>

#include "common/units.h"

namespace sandbox::policy {
namespace {

Error At(Error e, const SourceLocation& where) {
  e.where = where;
  return e;
}

Result<uid_t> InnerId(const profile::Located<int64_t>& id, const char* key) {
  if (id.value < 0 || id.value >= std::numeric_limits<uint32_t>::max()) {
    Error e = MakeError(std::string("\"") + key + "\" must be between 0 and 4294967294");
    return At(e, id.where);
  }
  return static_cast<uid_t>(id.value);
}

}  // namespace

Result<cli::CliOptions> CombineWithProfile(const profile::ProfileSpec& profile,
                                           const cli::CliOptions& flags, const Caller& /*caller*/) {
  cli::CliOptions out = flags;
  if (!out.hostname && profile.hostname) out.hostname = profile.hostname->value;
  if (!out.share_net && profile.network) out.share_net = profile.network->value == "host";
  if (!out.chdir && profile.cwd) out.chdir = profile.cwd->value;
  if (!out.landlock && profile.landlock) out.landlock = profile.landlock->value;
  if (!out.host_proc && profile.proc) out.host_proc = profile.proc->value == "host";
  if (!out.isolation && profile.isolation) {
    out.isolation = profile.isolation->value;
    out.isolation_origin = profile.isolation->where.ToString();
  }
  const profile::ProfileSpec::Seccomp& seccomp = profile.seccomp;
  if (!out.seccomp_policy && seccomp.policy) {
    out.seccomp_policy = seccomp.policy->value;
    out.seccomp_policy_where = seccomp.policy->where;
  }
  if (!out.seccomp_action && seccomp.action) {
    out.seccomp_action = seccomp.action->value;
    out.seccomp_action_where = seccomp.action->where;
  }
  for (const auto& name : seccomp.deny) out.seccomp_deny.push_back({name.value, name.where});
  for (const auto& name : seccomp.allow) out.seccomp_allow.push_back({name.value, name.where});
  if (!out.uid && profile.uid) {
    auto id = InnerId(*profile.uid, "uid");
    if (!id) return id.error();
    out.uid = *id;
  }
  if (!out.gid && profile.gid) {
    auto id = InnerId(*profile.gid, "gid");
    if (!id) return id.error();
    out.gid = static_cast<gid_t>(*id);
  }

  // Egress: the profile's [network] entries, then the flags'.
  out.allow_hosts.clear();
  out.resolve_pins.clear();
  for (const auto& entry : profile.network_rules.allow) {
    out.allow_hosts.push_back({entry.value, entry.where.ToString(), entry.where});
  }
  for (const auto& entry : profile.network_rules.resolve) {
    out.resolve_pins.push_back({entry.value, entry.where.ToString(), entry.where});
  }
  for (const auto& entry : flags.allow_hosts) out.allow_hosts.push_back(entry);
  for (const auto& entry : flags.resolve_pins) out.resolve_pins.push_back(entry);

  // Mounts: the profile's, then the flags'. The origin names the file and line.
  out.mounts.clear();
  for (const profile::MountSpec& m : profile.mounts) {
    cli::MountRequest request;
    request.kind = m.kind;
    if (m.source) request.source = m.source->value;
    request.target = m.target.value;
    request.optional = m.optional;
    request.size_bytes = m.size_bytes;
    request.mode = m.mode;
    request.content = m.content;
    request.socket = m.socket;
    request.flag = m.where.ToString();
    out.mounts.push_back(std::move(request));
  }
  out.profile_mounts = out.mounts.size();
  for (const cli::MountRequest& m : flags.mounts) out.mounts.push_back(m);

  // Workspace: the profile's settings, each overridden by its flag.
  const profile::WorkspaceSpec& ws = profile.workspace;
  if (!flags.workspace.mode && ws.mode) {
    out.workspace.mode = ws.mode->value;
    out.workspace.mode_origin = ws.mode->where.ToString();
  }
  if (!flags.workspace.vcs && ws.vcs) out.workspace.vcs = ws.vcs->value;
  out.workspace.protect.clear();
  out.workspace.unprotect.clear();
  for (const auto& p : ws.protect) out.workspace.protect.push_back(p.value);
  for (const auto& p : ws.unprotect) out.workspace.unprotect.push_back(p.value);
  for (const auto& p : flags.workspace.protect) out.workspace.protect.push_back(p);
  for (const auto& p : flags.workspace.unprotect) out.workspace.unprotect.push_back(p);

  out.caches.clear();
  for (const profile::CacheSpec& c : profile.caches) {
    cli::CacheRequest cache;
    cache.name = c.name.value;
    cache.target = c.target.value;
    if (c.host) cache.host = c.host->value;
    if (c.share) cache.share = c.share->value;
    cache.origin = c.name.where.ToString();
    out.caches.push_back(std::move(cache));
  }

  // Environment: clear = false inherits the caller's; pass and deny go to policy::Build, which
  // matches them against the caller's variables; then the profile's set/unset; then the
  // flags' edits in their order.
  if (profile.env.clear && !profile.env.clear->value) out.keep_env = true;
  std::vector<cli::EnvRequest> env;
  for (const auto& name : profile.env.pass) out.env_pass.push_back(name.value);
  for (const auto& name : profile.env.deny) out.env_deny.push_back(name.value);
  for (const auto& [name, value] : profile.env.set) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return At(MakeError("invalid environment variable name \"" + name + "\""), value.where);
    }
    env.push_back({cli::EnvRequest::Op::kSet, name, value.value});
  }
  for (const auto& name : profile.env.unset) {
    env.push_back({cli::EnvRequest::Op::kUnset, name.value, ""});
  }
  for (const auto& e : flags.env) env.push_back(e);
  out.env = std::move(env);

  // Limits: durations here, the rest through the same code as --limit.
  std::vector<cli::CliOptions::Limit> limits;
  for (const auto& [name, text] : profile.limits) {
    if (name == "timeout" || name == "timeout_grace") {
      auto d = ParseDuration(text.value);
      if (!d) return At(d.error(), text.where);
      auto& slot = name == "timeout" ? out.timeout : out.timeout_grace;
      auto& flag = name == "timeout" ? flags.timeout : flags.timeout_grace;
      if (!flag) slot = *d;
      continue;
    }
    limits.push_back({name, text.value, text.where.ToString()});
  }
  for (const auto& l : flags.limits) limits.push_back(l);
  out.limits = std::move(limits);
  return out;
}

}  // namespace sandbox::policy

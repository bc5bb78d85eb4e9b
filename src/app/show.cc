// `sandbox show PROFILE... [--json] [-- COMMAND]`: the policy a run would execute, resolved
// (several profiles composed as --profile A --profile B does): every mount in order,
// environment, identity, network, limits, Landlock, seccomp.
#include <sys/resource.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "app/profiles.h"
#include "app/subcommands.h"
#include "app/workspace_report.h"
#include "common/exit_status.h"
#include "policy/build.h"
#include "policy/from_profile.h"
#include "policy/landlock_only.h"
#include "report/json_writer.h"
#include "workspace/prepare.h"

namespace sandbox::app {
namespace {

constexpr const char* kShowUsage =
    "usage: sandbox show PROFILE... [--json] [-- COMMAND [ARGS...]]\n"
    "Prints the policy a run with PROFILE would execute, every mount in order. Several\n"
    "profiles are composed left to right, as --profile A --profile B composes them.\n";

std::string MountDetail(const policy::MountOp& m) {
  std::string detail;
  if (m.size_bytes) detail += " size=" + std::to_string(*m.size_bytes);
  if (m.mode) {
    char mode[16];
    std::snprintf(mode, sizeof(mode), " mode=%04o", static_cast<unsigned>(*m.mode));
    detail += mode;
  }
  if (m.optional) detail += " optional";
  return detail;
}

// "default, action errno, deny uname, allow keyctl" or "none".
std::string SeccompSummary(const policy::Policy& p) {
  if (!p.seccomp()) return "none";
  const seccomp::Settings& s = *p.seccomp();
  std::string text =
      std::string("default (docs/seccomp.md), action ") + seccomp::ActionName(s.action);
  for (const auto* list : {&s.deny, &s.allow}) {
    if (list->empty()) continue;
    text += list == &s.deny ? ", deny" : ", allow";
    for (const std::string& name : *list) text += " " + name;
  }
  return text;
}

void PrintWorkspaceText(const workspace::Layout& layout) {
  if (layout.root.empty()) {
    std::printf("workspace: none\n");
  } else {
    std::printf("workspace: %s (%s), %s; VCS metadata %s\n", layout.root.c_str(),
                layout.found_by.c_str(),
                layout.overlay ? "an overlay (writes kept apart and listed)" : "read-write",
                layout.vcs_writable ? "read-write" : "read-only");
  }
  for (const workspace::ProtectedPath& p : layout.protected_paths) {
    std::printf("  %-9s %s (%s)\n", p.read_only ? "read-only" : "watched", p.path.c_str(),
                p.reason.c_str());
  }
  if (layout.caches.empty()) return;
  std::printf("caches:\n");
  for (const workspace::CacheUse& c : layout.caches) {
    std::printf("  %-12s %s: %s", c.name.c_str(), c.target.c_str(), c.how.c_str());
    if (!c.dir.empty()) std::printf(", kept in %s", c.dir.c_str());
    if (!c.host.empty()) std::printf(", host's %s", c.host.c_str());
    std::printf("\n");
  }
}

void PrintText(const policy::Policy& p, const profile::ProfileSpec& spec) {
  std::printf("profile:   %s\n", spec.names.size() == 1 ? spec.path.c_str() : spec.name.c_str());
  std::printf("files:    ");
  for (const std::string& file : spec.chain) std::printf(" %s", file.c_str());
  std::printf("\n");
  std::printf("command:  ");
  for (const auto& a : p.command()) std::printf(" %s", a.c_str());
  std::printf("\nidentity:  uid %u gid %u inside = uid %u gid %u outside\n", p.identity().inner_uid,
              p.identity().inner_gid, p.identity().outer_uid, p.identity().outer_gid);
  std::printf("hostname:  %s\n", p.hostname().c_str());
  const policy::EgressPlan& egress = p.egress();
  std::printf("network:   %s\n", p.network() == policy::NetworkMode::kHost ? "host"
                                 : egress.mode == policy::EgressPlan::Mode::kAllowList
                                     ? "allow-list (lo, the sandbox's resolver and proxy)"
                                 : egress.mode == policy::EgressPlan::Mode::kLog
                                     ? "log (every destination allowed and recorded)"
                                     : "none (lo only)");
  for (const egress::HostRule& rule : egress.allow) {
    std::printf("  allow    %s  (%s)\n", egress::RuleText(rule).c_str(), rule.origin.c_str());
  }
  for (const egress::Pin& pin : egress.resolve) {
    std::printf("  resolve  %s -> %s  (%s)\n", pin.host.c_str(), pin.address.c_str(),
                pin.origin.c_str());
  }
  std::printf("cwd:       %s%s\n", p.cwd().c_str(), p.cwd_required() ? "" : " (if present)");
  std::printf("isolation: %s\n",
              p.isolation() == policy::Isolation::kLandlock ? "landlock" : "namespaces");
  if (std::string note = policy::IsolationNote(p); !note.empty()) {
    std::printf("           %s\n", note.c_str());
  }
  std::printf("landlock:  %s\n",
              p.landlock().abi > 0 ? ("ABI " + std::to_string(p.landlock().abi)).c_str() : "off");
  std::printf("seccomp:   %s\n", SeccompSummary(p).c_str());
  if (p.tmpfs().bounded) {
    std::printf("tmpfs:     %llu bytes each without a size (and /dev/shm), %llu in all\n",
                static_cast<unsigned long long>(p.tmpfs().per_mount),
                static_cast<unsigned long long>(p.tmpfs().total));
  }
  std::printf("mounts:\n");
  for (const policy::MountOp& m : p.mounts()) {
    std::string what = m.source.empty() ? m.target : m.source + " -> " + m.target;
    std::printf("  %-10s %s%s  (%s)\n", MountKindName(m.kind), what.c_str(), MountDetail(m).c_str(),
                m.origin.ToString().c_str());
  }
  std::printf("environment:\n");
  for (const auto& e : p.environment()) std::printf("  %s\n", e.c_str());
  std::printf("limits:\n");
  for (const auto& l : p.limits()) {
    std::printf("  %-8s %s\n", l.name.c_str(),
                l.value == RLIM_INFINITY ? "unlimited" : std::to_string(l.value).c_str());
  }
  if (p.cgroup().memory_max)
    std::printf("  memory   %llu\n", (unsigned long long)*p.cgroup().memory_max);
  if (p.cgroup().pids_max)
    std::printf("  pids     %llu\n", (unsigned long long)*p.cgroup().pids_max);
  if (p.cgroup().cpu_quota_us) {
    std::printf("  cpus     %.2f\n", static_cast<double>(*p.cgroup().cpu_quota_us) / 100000.0);
  }
  if (p.timeout()) std::printf("  timeout  %lld ms\n", (long long)p.timeout()->count());
}

void PrintJson(const policy::Policy& p, const profile::ProfileSpec& spec,
               const workspace::Layout& layout) {
  report::JsonWriter w;
  w.BeginObject();
  w.Key("profile").String(spec.path);
  for (const auto* list : {&spec.names, &spec.chain}) {
    w.Key(list == &spec.names ? "profiles" : "files").BeginArray();
    for (const std::string& item : *list) w.String(item);
    w.EndArray();
  }
  report::WorkspaceReport workspace = WorkspaceReportOf(layout);
  report::WriteWorkspaceFields(w, layout.root.empty() ? nullptr : &workspace,
                               CacheReportsOf(layout));
  w.Key("command").BeginArray();
  for (const auto& a : p.command()) w.String(a);
  w.EndArray();
  w.Key("identity").BeginObject();
  w.Key("inner_uid").UInt(p.identity().inner_uid);
  w.Key("inner_gid").UInt(p.identity().inner_gid);
  w.Key("outer_uid").UInt(p.identity().outer_uid);
  w.Key("outer_gid").UInt(p.identity().outer_gid);
  w.EndObject();
  w.Key("hostname").String(p.hostname());
  w.Key("network").String(p.network() == policy::NetworkMode::kHost                 ? "host"
                          : p.egress().mode == policy::EgressPlan::Mode::kAllowList ? "allow-list"
                          : p.egress().mode == policy::EgressPlan::Mode::kLog       ? "log"
                                                                                    : "none");
  w.Key("egress").BeginObject();
  w.Key("allow").BeginArray();
  for (const egress::HostRule& rule : p.egress().allow) {
    w.BeginObject();
    w.Key("host").String(rule.subdomains ? "*." + rule.host : rule.host);
    w.Key("ports").BeginArray();
    for (uint16_t port : rule.ports) w.UInt(port);
    w.EndArray();
    w.Key("origin").String(rule.origin);
    w.EndObject();
  }
  w.EndArray();
  w.Key("resolve").BeginArray();
  for (const egress::Pin& pin : p.egress().resolve) {
    w.BeginObject();
    w.Key("host").String(pin.host);
    w.Key("address").String(pin.address);
    w.Key("origin").String(pin.origin);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.Key("cwd").String(p.cwd());
  w.Key("isolation")
      .String(p.isolation() == policy::Isolation::kLandlock ? "landlock" : "namespaces");
  w.Key("landlock_abi").Int(p.landlock().abi);
  w.Key("seccomp");
  if (p.seccomp()) {
    w.BeginObject();
    w.Key("action").String(seccomp::ActionName(p.seccomp()->action));
    w.Key("deny").BeginArray();
    for (const std::string& name : p.seccomp()->deny) w.String(name);
    w.EndArray();
    w.Key("allow").BeginArray();
    for (const std::string& name : p.seccomp()->allow) w.String(name);
    w.EndArray();
    w.EndObject();
  } else {
    w.Null();
  }
  w.Key("mounts").BeginArray();
  for (const policy::MountOp& m : p.mounts()) {
    w.BeginObject();
    w.Key("type").String(MountKindName(m.kind));
    if (!m.source.empty()) w.Key("source").String(m.source);
    w.Key("target").String(m.target);
    w.Key("optional").Bool(m.optional);
    if (m.size_bytes) w.Key("size").UInt(*m.size_bytes);
    if (m.mode) w.Key("mode").UInt(*m.mode);
    w.Key("origin").String(m.origin.ToString());
    w.EndObject();
  }
  w.EndArray();
  w.Key("environment").BeginArray();
  for (const auto& e : p.environment()) w.String(e);
  w.EndArray();
  w.Key("limits").BeginObject();
  for (const auto& l : p.limits()) {
    w.Key(l.name);
    if (l.value == RLIM_INFINITY) {
      w.String("unlimited");
    } else {
      w.UInt(l.value);
    }
  }
  if (p.cgroup().memory_max) w.Key("memory").UInt(*p.cgroup().memory_max);
  if (p.cgroup().pids_max) w.Key("pids").UInt(*p.cgroup().pids_max);
  if (p.cgroup().cpu_quota_us) w.Key("cpu_quota_us").UInt(*p.cgroup().cpu_quota_us);
  if (p.timeout()) w.Key("timeout_ms").Int(p.timeout()->count());
  w.EndObject();
  w.EndObject();
  std::printf("%s\n", w.Finish().c_str());
}

}  // namespace

int ShowMain(int argc, char** argv, const launch::ProcessImage&) {
  std::vector<std::string> names;
  bool json = false;
  std::vector<std::string> command;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      for (++i; i < argc; ++i) command.emplace_back(argv[i]);
      break;
    }
    if (std::strcmp(argv[i], "--json") == 0) {
      json = true;
    } else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kShowUsage, stdout);
      return 0;
    } else if (argv[i][0] != '-') {
      names.emplace_back(argv[i]);
    } else {
      std::fprintf(stderr, "sandbox: show: unexpected argument %s\n%s", argv[i], kShowUsage);
      return kExitSandboxFailure;
    }
  }
  if (names.empty()) {
    std::fputs(kShowUsage, stderr);
    return kExitSandboxFailure;
  }
  profile::LoadResult loaded = LoadProfiles(names);
  if (!loaded.ok()) {
    for (const Error& e : loaded.errors)
      std::fprintf(stderr, "sandbox: %s\n", e.ToString().c_str());
    return kExitSandboxFailure;
  }
  cli::CliOptions flags;
  flags.command = command.empty() ? std::vector<std::string>{"/bin/sh"} : command;
  policy::Caller caller = policy::Caller::FromProcess();
  auto combined = policy::CombineWithProfile(loaded.spec, flags, caller);
  if (!combined) {
    std::fprintf(stderr, "sandbox: %s\n", combined.error().ToString().c_str());
    return kExitSandboxFailure;
  }
  workspace::Context context = workspace::Context::FromProcess(caller.cwd);
  context.create = false;  // show decides; it creates and locks nothing
  auto layout = workspace::Prepare(&*combined, context);
  if (!layout) {
    std::fprintf(stderr, "sandbox: %s\n", layout.error().ToString().c_str());
    return kExitSandboxFailure;
  }
  auto built = policy::Build(*combined, caller);
  if (!built) {
    std::fprintf(stderr, "sandbox: %s\n", built.error().ToString().c_str());
    return kExitSandboxFailure;
  }
  if (json) {
    PrintJson(*built, loaded.spec, *layout);
  } else {
    PrintText(*built, loaded.spec);
    PrintWorkspaceText(*layout);
  }
  return 0;
}

}  // namespace sandbox::app

#include "launch/run_state.h"

#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/unique_fd.h"

namespace sandbox::launch {
namespace {

std::string Escape(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Unescape(std::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      out += value[i + 1] == 'n' ? '\n' : value[i + 1];
      ++i;
    } else {
      out += value[i];
    }
  }
  return out;
}

template <typename T>
bool Number(std::string_view text, T* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// "a b c" -> {"a", "b c"}: the first word and the rest.
std::pair<std::string_view, std::string_view> Split(std::string_view line) {
  size_t space = line.find(' ');
  if (space == std::string_view::npos) return {line, {}};
  return {line.substr(0, space), line.substr(space + 1)};
}

std::string Hex(const std::vector<sock_filter>& program) {
  static const char kDigits[] = "0123456789abcdef";
  const auto* bytes = reinterpret_cast<const unsigned char*>(program.data());
  std::string out(program.size() * sizeof(sock_filter) * 2, '0');
  for (size_t i = 0; i < program.size() * sizeof(sock_filter); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

bool FromHex(std::string_view text, std::vector<sock_filter>* program) {
  if (text.size() % (2 * sizeof(sock_filter)) != 0) return false;
  program->resize(text.size() / (2 * sizeof(sock_filter)));
  auto* bytes = reinterpret_cast<unsigned char*>(program->data());
  for (size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + 2, value, 16);
    if (ec != std::errc() || end != text.data() + i + 2) return false;
    bytes[i / 2] = static_cast<unsigned char>(value);
  }
  return true;
}

}  // namespace

uint64_t ProcessStartTime(pid_t pid) {
  // One read into the stack (the fields up to the start time, the 22nd, take well under
  // 1 KiB): this is on every run's launch path, where a stream's 8 KiB buffer is heap to fault.
  char path[32];
  std::snprintf(path, sizeof(path), "/proc/%d/stat", static_cast<int>(pid));
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd) return 0;
  char buffer[1024];
  ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
  if (n <= 0) return 0;
  std::string_view stat(buffer, static_cast<size_t>(n));
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  size_t at = stat.rfind(')');
  if (at == std::string_view::npos) return 0;
  at += 2;  // field 3
  for (int field = 3; field < 22 && at != std::string_view::npos; ++field) {
    at = stat.find(' ', at);
    if (at != std::string_view::npos) ++at;
  }
  if (at == std::string_view::npos) return 0;
  uint64_t start = 0;
  std::from_chars(stat.data() + at, stat.data() + stat.size(), start);
  return start;
}

std::vector<std::string> SplitSearchPath(std::string_view path) {
  std::vector<std::string> dirs;
  size_t start = 0;
  while (!path.empty() && start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string_view::npos) end = path.size();
    std::string dir(path.substr(start, end - start));
    dirs.push_back(dir.empty() ? "." : dir);
    start = end + 1;
  }
  return dirs;
}

std::string SerializeRunState(const RunState& s) {
  std::ostringstream out;
  out << "version 1\n";
  out << "name " << Escape(s.name) << "\n";
  out << "supervisor_pid " << s.supervisor_pid << "\n";
  out << "supervisor_start " << s.supervisor_start << "\n";
  out << "init_pid " << s.init_pid << "\n";
  out << "init_start " << s.init_start << "\n";
  out << "created " << s.created << "\n";
  out << "profile " << Escape(s.profile) << "\n";
  out << "namespaces " << s.namespaces << "\n";
  for (const auto& arg : s.command) out << "command " << Escape(arg) << "\n";
  for (const auto& env : s.environment) out << "env " << Escape(env) << "\n";
  out << "cwd " << Escape(s.cwd) << "\n";
  out << "cwd_required " << (s.cwd_required ? 1 : 0) << "\n";
  out << "umask " << s.umask << "\n";
  out << "last_capability " << s.last_capability << "\n";
  for (const auto& l : s.limits) {
    out << "limit " << l.resource << " " << l.value << " " << Escape(l.name) << "\n";
  }
  out << "landlock_abi " << s.landlock_abi << "\n";
  for (const auto& r : s.landlock_rules) {
    out << "landlock_rule " << r.access << " " << (r.optional ? 1 : 0) << " " << Escape(r.path)
        << "\n";
    if (r.recorded) out << "landlock_object " << r.device << " " << r.inode << "\n";
  }
  out << "landlock_objects_known " << (s.landlock_objects_known ? 1 : 0) << "\n";
  out << "seccomp_program " << Hex(s.seccomp_program) << "\n";
  out << "seccomp_listener " << (s.seccomp_listener ? 1 : 0) << "\n";
  out << "seccomp_action " << seccomp::ActionName(s.seccomp_settings.action) << "\n";
  for (const auto& n : s.seccomp_settings.deny) out << "seccomp_deny " << Escape(n) << "\n";
  for (const auto& n : s.seccomp_settings.allow) out << "seccomp_allow " << Escape(n) << "\n";
  if (s.seccomp_settings.fence_fifos) out << "seccomp_fence_fifos 1\n";
  for (const auto& id : s.seccomp_settings.connectable) {
    out << "seccomp_socket " << id.dev << " " << id.ino << "\n";
  }
  out << "has_dev " << (s.has_dev ? 1 : 0) << "\n";
  out << "cgroup_limits " << (s.cgroup_limits ? 1 : 0) << "\n";
  return out.str();
}

Result<RunState> ParseRunState(const std::string& text) {
  RunState s;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  bool versioned = false;
  while (std::getline(in, line)) {
    ++number;
    auto [key, value] = Split(line);
    bool ok = true;
    if (key == "version") {
      versioned = value == "1";
      ok = versioned;
    } else if (key == "name") {
      s.name = Unescape(value);
    } else if (key == "supervisor_pid") {
      ok = Number(value, &s.supervisor_pid);
    } else if (key == "supervisor_start") {
      ok = Number(value, &s.supervisor_start);
    } else if (key == "init_pid") {
      ok = Number(value, &s.init_pid);
    } else if (key == "init_start") {
      ok = Number(value, &s.init_start);
    } else if (key == "created") {
      ok = Number(value, &s.created);
    } else if (key == "profile") {
      s.profile = Unescape(value);
    } else if (key == "namespaces") {
      ok = Number(value, &s.namespaces) && (s.namespaces & ~kAllNamespaces) == 0;
    } else if (key == "command") {
      s.command.push_back(Unescape(value));
    } else if (key == "env") {
      s.environment.push_back(Unescape(value));
    } else if (key == "cwd") {
      s.cwd = Unescape(value);
    } else if (key == "cwd_required") {
      s.cwd_required = value == "1";
    } else if (key == "umask") {
      ok = Number(value, &s.umask);
    } else if (key == "last_capability") {
      ok = Number(value, &s.last_capability);
    } else if (key == "limit") {
      auto [resource, rest] = Split(value);
      auto [amount, name] = Split(rest);
      RunState::Limit l;
      ok = Number(resource, &l.resource) && Number(amount, &l.value);
      l.name = Unescape(name);
      s.limits.push_back(std::move(l));
    } else if (key == "landlock_abi") {
      ok = Number(value, &s.landlock_abi);
    } else if (key == "landlock_rule") {
      auto [access, rest] = Split(value);
      auto [optional, path] = Split(rest);
      RunState::LandlockRule r;
      ok = Number(access, &r.access);
      r.optional = optional == "1";
      r.path = Unescape(path);
      s.landlock_rules.push_back(std::move(r));
    } else if (key == "landlock_object") {
      // Belongs to the landlock_rule line before it.
      auto [device, inode] = Split(value);
      ok = !s.landlock_rules.empty() && Number(device, &s.landlock_rules.back().device) &&
           Number(inode, &s.landlock_rules.back().inode);
      if (ok) s.landlock_rules.back().recorded = true;
    } else if (key == "landlock_objects_known") {
      s.landlock_objects_known = value == "1";
    } else if (key == "seccomp_program") {
      ok = FromHex(value, &s.seccomp_program);
    } else if (key == "seccomp_listener") {
      s.seccomp_listener = value == "1";
    } else if (key == "seccomp_action") {
      s.seccomp_settings.action = value == "kill"  ? seccomp::Action::kKill
                                  : value == "log" ? seccomp::Action::kLog
                                                   : seccomp::Action::kErrno;
    } else if (key == "seccomp_fence_fifos") {
      s.seccomp_settings.fence_fifos = value == "1";
    } else if (key == "seccomp_deny") {
      s.seccomp_settings.deny.push_back(Unescape(value));
    } else if (key == "seccomp_allow") {
      s.seccomp_settings.allow.push_back(Unescape(value));
    } else if (key == "seccomp_socket") {
      auto [dev, ino] = Split(value);
      seccomp::SocketId id;
      ok = Number(dev, &id.dev) && Number(ino, &id.ino);
      s.seccomp_settings.connectable.push_back(id);
    } else if (key == "has_dev") {
      s.has_dev = value == "1";
    } else if (key == "cgroup_limits") {
      s.cgroup_limits = value == "1";
    }
    // Unknown keys are skipped: a newer sandbox may add some.
    if (!ok) return MakeError("bad run state at line " + std::to_string(number) + ": " + line);
  }
  if (!versioned) return MakeError("not a run state file (no \"version 1\" line)");
  return s;
}

void CaptureJobSide(const child::ChildPlan& plan, RunState* s) {
  s->environment.clear();
  for (char* entry : plan.envp) {
    if (entry != nullptr) s->environment.emplace_back(entry);
  }
  s->cwd = plan.cwd;
  s->cwd_required = plan.cwd_required;
  s->umask = plan.umask;
  s->last_capability = plan.last_capability;
  s->limits.clear();
  for (const auto& l : plan.limits) s->limits.push_back({l.resource, l.value, l.name});
  s->landlock_abi = plan.landlock_abi;
  s->landlock_rules.clear();
  for (const auto& r : plan.landlock_rules) {
    s->landlock_rules.push_back({r.access, r.optional, r.path, false, 0, 0});
  }
  s->seccomp_program = plan.seccomp_program;
  s->seccomp_listener = plan.seccomp_listener;
}

std::unique_ptr<child::ChildPlan> PlanForEntered(const RunState& s,
                                                 const std::vector<std::string>& command) {
  auto plan = std::make_unique<child::ChildPlan>();
  plan->cwd = plan->Intern(s.cwd);
  plan->cwd_required = s.cwd_required;
  plan->umask = static_cast<mode_t>(s.umask);
  plan->last_capability = s.last_capability;
  for (const std::string& arg : command) plan->argv.push_back(const_cast<char*>(plan->Intern(arg)));
  plan->argv.push_back(nullptr);
  std::string_view path;
  for (const std::string& entry : s.environment) {
    const char* interned = plan->Intern(entry);
    plan->envp.push_back(const_cast<char*>(interned));
    if (entry.rfind("PATH=", 0) == 0) path = std::string_view(interned + 5);
  }
  plan->envp.push_back(nullptr);
  for (const std::string& dir : SplitSearchPath(path)) plan->path_dirs.push_back(plan->Intern(dir));
  for (const auto& l : s.limits)
    plan->limits.push_back({l.resource, l.value, plan->Intern(l.name)});
  plan->landlock_abi = s.landlock_abi;
  for (const auto& r : s.landlock_rules) {
    plan->landlock_rules.push_back(
        {plan->Intern(r.path), r.access, r.optional, r.recorded, r.device, r.inode});
  }
  plan->landlock_objects_known = s.landlock_objects_known;
  plan->seccomp_program = s.seccomp_program;
  plan->seccomp_listener = s.seccomp_listener;
  plan->new_session = true;
  return plan;
}

}  // namespace sandbox::launch

#include "report/exit_code.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string_view>

#include "common/exit_status.h"

namespace sandbox::report {

int ExitCodeFor(const Outcome& outcome) {
  switch (outcome.kind) {
    case Outcome::Kind::kExited:
      return outcome.code & 0xff;
    case Outcome::Kind::kSignaled:
      return kExitSignalBase + outcome.signal;
    case Outcome::Kind::kTimedOut:
      return kExitTimeout;
    case Outcome::Kind::kSetupFailed:
      return kExitSandboxFailure;
    case Outcome::Kind::kExecFailed:
      return outcome.record && outcome.record->error == ENOENT ? kExitNotFound : kExitCannotExecute;
    case Outcome::Kind::kLost:
      return kExitSandboxFailure;
  }
  return kExitSandboxFailure;
}

std::string DisplayPath(const Record& record) {
  if (record.path[0] == '\0') return "";
  bool in_root = record.op_index >= 0 && record.path[0] != '/';
  return std::string(in_root ? "/" : "") + record.path;
}

bool IsHostLimit(const Record& record) {
  if (record.kind != RecordKind::kSetupError || record.error != EPERM) return false;
  // A user namespace that grants no mount rights (AppArmor's restriction on Ubuntu) fails the
  // first mount; a /proc with masked or read-only submounts (as in most containers) makes the
  // kernel refuse a fresh proc (mount_too_revealing, see mount_namespaces(7)).
  return record.step == SetupStep::kMakeRootPrivate ||
         record.step == SetupStep::kMountStagingRoot || record.step == SetupStep::kMountProc;
}

namespace {

// NAME=VALUE where NAME could be a shell variable: what a shell would take as an assignment.
bool LooksLikeAssignment(std::string_view word) {
  size_t eq = word.find('=');
  if (eq == 0 || eq == std::string_view::npos) return false;
  for (size_t i = 0; i < eq; ++i) {
    char c = word[i];
    bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Why a command was not found, when the usual causes can be told from here.
std::string NotFoundHint(std::string_view command, bool nothing_of_host_mounted) {
  if (LooksLikeAssignment(command)) {
    size_t eq = command.find('=');
    std::string name(command.substr(0, eq));
    std::string value(command.substr(eq + 1));
    return "; \"" + std::string(command) +
           "\" looks like a variable assignment, which only a shell understands: set it with "
           "--setenv " +
           name + " '" + value + "' before --, or run env " + std::string(command) + " COMMAND...";
  }
  if (nothing_of_host_mounted) {
    return "; nothing of the host is mounted, so the sandbox has no programs: use a profile "
           "(--profile base, cc, python, ...) or bind them "
           "(--ro-bind /usr /usr --symlink usr/bin /bin ...)";
  }
  return "";
}

}  // namespace

std::string MessageFor(const Outcome& outcome, const OpDescriber& describe_op) {
  auto errno_text = [](int e) {
    return e == 0 ? std::string() : std::string(": ") + std::strerror(e);
  };
  switch (outcome.kind) {
    case Outcome::Kind::kExited:
      return "";
    case Outcome::Kind::kSignaled:
      if (outcome.oom_kills > 0) {
        return "sandbox: the job was killed by its memory limit (" +
               std::to_string(outcome.oom_kills) + " OOM kill" +
               (outcome.oom_kills == 1 ? "" : "s") + ")";
      }
      if (outcome.signal == SIGSYS) {
        return "sandbox: the job was killed by SIGSYS: a call the seccomp filter denies "
               "(action \"kill\"; use action \"errno\" to see which)";
      }
      return "";
    case Outcome::Kind::kTimedOut:
      return "sandbox: timed out; the job was stopped";
    case Outcome::Kind::kLost:
      return "sandbox: the sandbox's init ended without reporting the job's status";
    case Outcome::Kind::kExecFailed: {
      const Record& r = *outcome.record;
      std::string line = std::string("sandbox: cannot execute ") + r.path + errno_text(r.error);
      if (r.detail[0] != '\0') line += std::string(" (") + r.detail + ")";
      if (r.error == ENOENT) line += NotFoundHint(r.path, outcome.nothing_of_host_mounted);
      return line;
    }
    case Outcome::Kind::kSetupFailed:
      break;
  }
  if (!outcome.record) return "sandbox: setup failed";
  const Record& r = *outcome.record;
  std::string line = std::string("sandbox: ") + SetupStepName(r.step);
  if (r.path[0] != '\0') line.append(" ").append(DisplayPath(r));
  line += errno_text(r.error);
  if (r.detail[0] != '\0') line += std::string(" (") + r.detail + ")";
  if (r.op_index >= 0 && describe_op) {
    std::string op = describe_op(r.op_index);
    if (!op.empty()) line += " [" + op + "]";
  }
  // In a user namespace, the one reason left for refusing a fresh proc is a /proc with parts
  // masked or read-only (mount_too_revealing): the caller is in a container.
  if (r.kind == RecordKind::kSetupError && r.step == SetupStep::kMountProc && r.error == EPERM) {
    line +=
        "; this /proc has masked or read-only parts (a container's), so the kernel refuses "
        "a fresh one: --host-proc binds this one read-only instead (docs/ci.md), or give "
        "the container an unmasked /proc (docker run --security-opt "
        "systempaths=unconfined)";
  }
  if (IsHostLimit(r)) line.append(" ").append(kDoctorHint);
  return line;
}

std::vector<std::string> DenialLines(const Outcome& outcome, bool logged) {
  std::vector<std::string> lines;
  for (const SeccompDenial& denial : outcome.seccomp_denials) {
    std::string line = logged ? "sandbox: seccomp logged " : "sandbox: seccomp denied ";
    line += denial.syscall + " x" + std::to_string(denial.count);
    if (!denial.first_comm.empty() || denial.first_pid) {
      line += " (first: " + (denial.first_comm.empty() ? std::string("?") : denial.first_comm);
      if (denial.first_pid) line += ", pid " + std::to_string(*denial.first_pid);
      line += ")";
    }
    lines.push_back(std::move(line));
  }
  // Egress: one line per refused destination; under --network log, per destination reached.
  for (const NetworkDestination& d : outcome.network) {
    bool log_mode = outcome.network_mode == "log";
    if (d.refused == 0 && !(log_mode && d.connections > 0)) continue;
    std::string where = d.host.find(':') != std::string::npos ? "[" + d.host + "]" : d.host;
    std::string line = d.refused == 0 ? "sandbox: network logged " : "sandbox: network denied ";
    line += d.port == 0 ? where + " (name lookup)" : where + ":" + std::to_string(d.port);
    line += " x" + std::to_string(d.refused == 0 ? d.connections : d.refused);
    if (d.refused > 0 && (!d.first_comm.empty() || d.first_pid)) {
      line += " (first: " + (d.first_comm.empty() ? std::string("?") : d.first_comm);
      if (d.first_pid) line += ", pid " + std::to_string(*d.first_pid);
      line += ")";
    } else if (d.refused > 0 && !d.why.empty() && d.why != "not allowed" &&
               d.why != "name lookup") {
      line += " (" + d.why + ")";
    }
    lines.push_back(std::move(line));
  }
  for (const FullTmpfs& full : outcome.full_tmpfs) {
    lines.push_back("sandbox: tmpfs " + full.target + " is full (" +
                    std::to_string(full.size_bytes) +
                    " bytes): the job got ENOSPC there; give it a size (--size before --tmpfs, "
                    "size in a profile) or raise --limit tmpfs=SIZE");
  }
  return lines;
}

}  // namespace sandbox::report

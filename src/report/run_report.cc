#include "report/run_report.h"

#include <csignal>
#include <cstring>
#include <utility>

#include "report/json_writer.h"
#include "report/sha256.h"

namespace sandbox::report {
namespace {

constexpr double kNanosecondsPerSecond = 1e9;
constexpr double kMicrosecondsPerSecond = 1e6;

std::string ErrnoName(int error) {
  const char* name = ::strerrorname_np(error);  // glibc ≥ 2.32
  // Appending, not "E" + std::string: g++ 12 -O3 warns falsely (-Wrestrict) about the latter.
  return name != nullptr ? std::string(name) : std::string("E").append(std::to_string(error));
}

std::string SignalName(int signal) {
  const char* abbrev = ::sigabbrev_np(signal);  // glibc ≥ 2.32; "KILL" for SIGKILL
  return std::string("SIG").append(abbrev != nullptr ? abbrev : std::to_string(signal));
}

bool HasFiniteLimit(const RunReport& report, const char* name) {
  for (const ReportedLimit& limit : report.rlimits) {
    if (limit.name == name) return limit.value.has_value();
  }
  return false;
}

template <typename T>
void UIntOrNull(JsonWriter& json, const std::optional<T>& value) {
  if (value) {
    json.UInt(static_cast<uint64_t>(*value));
  } else {
    json.Null();
  }
}

void WriteError(JsonWriter& json, const std::optional<Failure>& error) {
  if (!error) {
    json.Null();
    return;
  }
  json.BeginObject();
  json.Key("step").String(error->step);
  json.Key("errno");
  if (error->error != 0) {
    json.Int(error->error);
    json.Key("errno_name").String(ErrnoName(error->error));
    json.Key("errno_text").String(std::strerror(error->error));
  } else {
    json.Null();
    json.Key("errno_name").Null();
    json.Key("errno_text").Null();
  }
  json.Key("path");
  json.StringOrNull(error->path);
  json.Key("detail");
  json.StringOrNull(error->detail);
  json.Key("flag");
  json.StringOrNull(error->flag);
  json.EndObject();
}

void WriteTimes(JsonWriter& json, const RunReport& report) {
  json.Key("wall_time_seconds").Double(report.wall_seconds);
  int64_t total = 0;
  for (const StepTiming& step : report.setup_steps) total += step.nanoseconds;
  json.Key("setup").BeginObject();
  json.Key("total_seconds").Double(static_cast<double>(total) / kNanosecondsPerSecond);
  json.Key("steps").BeginArray();
  for (const StepTiming& step : report.setup_steps) {
    json.BeginObject();
    json.Key("step").String(step.step);
    json.Key("target");
    json.StringOrNull(step.target);
    json.Key("seconds").Double(static_cast<double>(step.nanoseconds) / kNanosecondsPerSecond);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

void WriteResources(JsonWriter& json, const RunReport& report) {
  json.Key("resources").BeginObject();
  const auto& usage = report.usage;
  json.Key("user_cpu_seconds");
  if (usage) {
    json.Double(static_cast<double>(usage->user_microseconds) / kMicrosecondsPerSecond);
  } else {
    json.Null();
  }
  json.Key("system_cpu_seconds");
  if (usage) {
    json.Double(static_cast<double>(usage->system_microseconds) / kMicrosecondsPerSecond);
  } else {
    json.Null();
  }
  json.Key("max_rss_bytes");
  UIntOrNull(json, usage ? std::optional<uint64_t>(usage->max_rss_bytes) : std::nullopt);
  json.Key("memory_peak_bytes");
  UIntOrNull(json, report.memory_peak_bytes);
  json.Key("oom_kills").UInt(report.oom_kills);
  json.Key("tmpfs_full").BeginArray();
  for (const FullTmpfs& full : report.full_tmpfs) {
    json.BeginObject();
    json.Key("target").String(full.target);
    json.Key("size_bytes").UInt(full.size_bytes);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();

  json.Key("seccomp").BeginObject();
  json.Key("policy").String(report.seccomp_policy);
  json.Key("action");
  if (report.seccomp_action) {
    json.String(*report.seccomp_action);
  } else {
    json.Null();
  }
  json.Key("denials").BeginArray();
  for (const SeccompDenial& denial : report.seccomp_denials) {
    json.BeginObject();
    json.Key("syscall").String(denial.syscall);
    json.Key("count").UInt(denial.count);
    json.Key("first_pid");
    if (denial.first_pid) {
      json.Int(*denial.first_pid);
    } else {
      json.Null();
    }
    json.Key("first_comm");
    json.StringOrNull(denial.first_comm);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

void WriteNetwork(JsonWriter& json, const RunReport& report) {
  json.Key("network").BeginObject();
  json.Key("mode").String(report.network_mode);
  json.Key("destinations").BeginArray();
  for (const NetworkDestination& d : report.network) {
    json.BeginObject();
    json.Key("host").String(d.host);
    json.Key("port").UInt(d.port);
    json.Key("allowed").Bool(d.allowed);
    json.Key("connections").UInt(d.connections);
    json.Key("refused").UInt(d.refused);
    json.Key("bytes_sent").UInt(d.bytes_sent);
    json.Key("bytes_received").UInt(d.bytes_received);
    json.Key("first_unix_ms").Int(d.first_unix_ms);
    json.Key("first_pid");
    if (d.first_pid) {
      json.Int(*d.first_pid);
    } else {
      json.Null();
    }
    json.Key("first_comm");
    json.StringOrNull(d.first_comm);
    json.Key("why");
    json.StringOrNull(d.why);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

void WriteConfinement(JsonWriter& json, const RunReport& report) {
  json.Key("namespaces").BeginArray();
  for (const std::string& name : report.namespaces) json.String(name);
  json.EndArray();
  json.Key("isolation");
  if (report.isolation.empty()) {
    json.Null();
  } else {
    json.String(report.isolation);
  }
  json.Key("landlock_abi").Int(report.landlock_abi);
  json.Key("limits").BeginObject();
  json.Key("rlimits").BeginObject();
  for (const ReportedLimit& limit : report.rlimits) {
    json.Key(limit.name);
    UIntOrNull(json, limit.value);
  }
  json.EndObject();
  json.Key("cgroup").BeginObject();
  json.Key("memory_max_bytes");
  UIntOrNull(json, report.cgroup_memory_max);
  json.Key("pids_max");
  UIntOrNull(json, report.cgroup_pids_max);
  json.Key("cpu_quota_us");
  UIntOrNull(json, report.cgroup_cpu_quota_us);
  json.EndObject();
  WriteTimeoutLimits(json, report.details);
  json.EndObject();
}

}  // namespace

void SetOutcome(const Outcome& outcome, const OpDescriber& describe_op, RunReport* report) {
  report->exit_code = ExitCodeFor(outcome);
  report->message = MessageFor(outcome, describe_op);
  report->usage = outcome.usage;
  report->memory_peak_bytes = outcome.memory_peak;
  report->oom_kills = outcome.oom_kills;
  report->seccomp_denials = outcome.seccomp_denials;
  report->network = outcome.network;
  if (!outcome.network_mode.empty()) report->network_mode = outcome.network_mode;
  report->details.leftover_processes_killed = outcome.leftover_processes_killed;
  report->full_tmpfs = outcome.full_tmpfs;
  switch (outcome.kind) {
    case Outcome::Kind::kExited:
      report->outcome = "exited";
      report->job_exit_code = outcome.code;
      break;
    case Outcome::Kind::kSignaled:
      report->outcome = "signaled";
      report->signal = outcome.signal;
      // The kernel enforces these limits with a signal; name the limit rather than the signal.
      if (outcome.oom_kills > 0) {
        report->limit = "memory";
      } else if (outcome.signal == SIGXCPU && HasFiniteLimit(*report, "cpu")) {
        report->limit = "cpu";
      } else if (outcome.signal == SIGXFSZ && HasFiniteLimit(*report, "fsize")) {
        report->limit = "fsize";
      }
      if (!report->limit.empty()) report->outcome = "limit";
      break;
    case Outcome::Kind::kTimedOut:
      report->outcome = "timeout";
      break;
    case Outcome::Kind::kSetupFailed:
    case Outcome::Kind::kExecFailed:
      report->outcome =
          outcome.kind == Outcome::Kind::kSetupFailed ? "setup-failed" : "exec-failed";
      if (outcome.record) {
        const Record& r = *outcome.record;
        Failure failure;
        failure.step = SetupStepName(r.step);
        failure.error = r.error;
        failure.path = DisplayPath(r);
        failure.detail = r.detail;
        if (r.op_index >= 0 && describe_op) failure.flag = describe_op(r.op_index);
        report->error = std::move(failure);
      }
      break;
    case Outcome::Kind::kLost:
      report->outcome = "lost";
      if (outcome.signal != 0) report->signal = outcome.signal;
      break;
  }
}

void SetEarlyFailure(std::string step, int error, std::string flag, std::string message,
                     RunReport* report, std::string path) {
  report->outcome = "setup-failed";
  Outcome failed;
  failed.kind = Outcome::Kind::kSetupFailed;
  report->exit_code = ExitCodeFor(failed);
  Failure failure;
  failure.step = std::move(step);
  failure.error = error;
  failure.flag = std::move(flag);
  failure.path = std::move(path);
  report->error = std::move(failure);
  report->message = std::move(message);
}

std::string ProfileHash(const std::vector<std::string>& contents) {
  Sha256 hash;
  for (const std::string& content : contents) {
    hash.Update(std::to_string(content.size()));
    hash.Update("\n");
    hash.Update(content);
  }
  return std::string("sha256:").append(hash.HexDigest());
}

std::string RenderReport(const RunReport& report) {
  JsonWriter json;
  json.BeginObject();
  json.Key("schema_version").Int(kReportSchemaVersion);
  json.Key("sandbox_version").String(report.sandbox_version);
  json.Key("started_at").String(report.started_at);
  json.Key("profile").BeginObject();
  json.Key("name");
  json.StringOrNull(report.profile_name.value_or(""));
  json.Key("path");
  json.StringOrNull(report.profile_path.value_or(""));
  json.Key("hash");
  json.StringOrNull(report.profile_hash.value_or(""));
  for (const auto* list : {&report.profile_names, &report.profile_files}) {
    json.Key(list == &report.profile_names ? "names" : "files").BeginArray();
    for (const std::string& item : *list) json.String(item);
    json.EndArray();
  }
  json.EndObject();
  json.Key("command").BeginArray();
  for (const std::string& arg : report.command) json.String(arg);
  json.EndArray();

  json.Key("outcome").String(report.outcome);
  json.Key("exit_code").Int(report.exit_code);
  json.Key("job_exit_code");
  if (report.job_exit_code) {
    json.Int(*report.job_exit_code);
  } else {
    json.Null();
  }
  json.Key("signal");
  if (report.signal) {
    json.BeginObject();
    json.Key("number").Int(*report.signal);
    json.Key("name").String(SignalName(*report.signal));
    json.EndObject();
  } else {
    json.Null();
  }
  json.Key("limit");
  json.StringOrNull(report.limit);
  json.Key("error");
  WriteError(json, report.error);
  json.Key("message");
  json.StringOrNull(report.message);

  WriteTimes(json, report);
  WriteResources(json, report);
  WriteNetwork(json, report);
  WriteConfinement(json, report);
  WriteWorkspaceFields(json, report.workspace ? &*report.workspace : nullptr, report.caches);
  WriteChanges(json, report.changes ? &*report.changes : nullptr);
  WriteRunDetails(json, report.details);
  json.EndObject();
  return json.Finish();
}

}  // namespace sandbox::report

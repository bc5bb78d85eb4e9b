#include "report/run_details.h"

namespace sandbox::report {
namespace {

void Strings(JsonWriter& json, const std::vector<std::string>& values) {
  json.BeginArray();
  for (const std::string& v : values) json.String(v);
  json.EndArray();
}

}  // namespace

void WriteTimeoutLimits(JsonWriter& json, const RunDetails& details) {
  json.Key("timeout_seconds");
  if (details.timeout_seconds) {
    json.Double(*details.timeout_seconds, 3);
  } else {
    json.Null();
  }
  json.Key("timeout_grace_seconds").Double(details.timeout_grace_seconds, 3);
}

void WriteRunDetails(JsonWriter& json, const RunDetails& details) {
  json.Key("mounts").BeginArray();
  for (const ReportedMount& m : details.mounts) {
    json.BeginObject();
    json.Key("type").String(m.type);
    json.Key("source").StringOrNull(m.source);
    json.Key("target").String(m.target);
    json.Key("read_only");
    if (m.read_only) {
      json.Bool(*m.read_only);
    } else {
      json.Null();
    }
    json.Key("optional").Bool(m.optional);
    json.Key("present").Bool(m.present);
    json.Key("origin").StringOrNull(m.origin);
    json.EndObject();
  }
  json.EndArray();
  json.Key("env").BeginObject();
  json.Key("names");
  Strings(json, details.env_names);
  json.Key("passed");
  Strings(json, details.env_passed);
  json.Key("denied");
  Strings(json, details.env_denied);
  json.Key("dropped");
  Strings(json, details.env_dropped);
  json.EndObject();
  json.Key("leftover_processes_killed");
  if (details.leftover_processes_killed) {
    json.UInt(*details.leftover_processes_killed);
  } else {
    json.Null();
  }
}

}  // namespace sandbox::report

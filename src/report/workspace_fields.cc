#include "report/workspace_fields.h"

#include "report/json_writer.h"

namespace sandbox::report {
void WriteWorkspaceFields(JsonWriter& json, const WorkspaceReport* workspace,
                          const std::vector<CacheReport>& caches) {
  json.Key("workspace");
  if (workspace == nullptr) {
    json.Null();
  } else {
    json.BeginObject();
    json.Key("root").String(workspace->root);
    json.Key("found_by").String(workspace->found_by);
    json.Key("vcs").String(workspace->vcs_writable ? "rw" : "ro");
    json.Key("protected").BeginArray();
    for (const ProtectedReport& p : workspace->protected_paths) {
      json.BeginObject();
      json.Key("path").String(p.path);
      json.Key("reason").String(p.reason);
      json.Key("state").String(p.read_only ? "read-only" : "watched");
      json.EndObject();
    }
    json.EndArray();
    json.Key("moved_aside").BeginArray();
    for (const MovedReport& m : workspace->moved_aside) {
      json.BeginObject();
      json.Key("path").String(m.path);
      json.Key("moved_to").StringOrNull(m.moved_to);
      json.Key("error").StringOrNull(m.error);
      json.EndObject();
    }
    json.EndArray();
    json.EndObject();
  }
  json.Key("caches").BeginArray();
  for (const CacheReport& c : caches) {
    json.BeginObject();
    json.Key("name").String(c.name);
    json.Key("target").String(c.target);
    json.Key("share").String(c.share);
    json.Key("dir").StringOrNull(c.dir);
    json.Key("host").StringOrNull(c.host);
    json.Key("how").String(c.how);
    json.EndObject();
  }
  json.EndArray();
}

}  // namespace sandbox::report

#include "report/workspace_fields.h"

#include <cstdio>

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
    json.Key("mode").String(workspace->overlay ? "overlay" : "bind");
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
    json.Key("path_shadows").BeginArray();
    for (const PathShadowReport& s : workspace->path_shadows) {
      json.BeginObject();
      json.Key("variable").String(s.variable);
      json.Key("path").String(s.path);
      json.Key("shadows").String(s.shadows);
      json.Key("change").String(s.change);
      json.EndObject();
    }
    json.EndArray();
    json.Key("tool_configs").BeginArray();
    for (const ToolConfigReport& t : workspace->tool_configs) {
      json.BeginObject();
      json.Key("path").String(t.path);
      json.Key("tool").String(t.tool);
      json.Key("change").String(t.change);
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

void WriteChanges(JsonWriter& json, const std::vector<ChangeEntry>* changes) {
  json.Key("changes");
  if (changes == nullptr) {
    json.Null();
    return;
  }
  json.BeginArray();
  for (const ChangeEntry& c : *changes) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", c.mode & 07777);
    json.BeginObject();
    json.Key("path").String(c.path);
    json.Key("change").String(c.change);
    json.Key("type").String(c.type);
    json.Key("mode").String(mode);
    json.Key("size").UInt(c.size);
    json.Key("sha256").StringOrNull(c.sha256);
    json.Key("base_sha256").StringOrNull(c.base_sha256);
    json.Key("link").StringOrNull(c.link);
    json.Key("flags").BeginArray();
    for (const std::string& f : c.flags) json.String(f);
    json.EndArray();
    json.EndObject();
  }
  json.EndArray();
}

}  // namespace sandbox::report

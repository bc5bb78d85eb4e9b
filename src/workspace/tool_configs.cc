#include "workspace/tool_configs.h"

#include <sys/stat.h>

namespace sandbox::workspace {
namespace {

ToolConfigState Stat(std::string path, const ToolConfig* config) {
  ToolConfigState s;
  s.path = std::move(path);
  s.config = config;
  struct stat st {};
  if (::lstat(s.path.c_str(), &st) != 0) return s;
  s.existed = true;
  s.dev = st.st_dev;
  s.ino = st.st_ino;
  s.ctime_ns = int64_t{st.st_ctim.tv_sec} * 1000000000 + st.st_ctim.tv_nsec;
  s.size = st.st_size;
  return s;
}

}  // namespace

std::vector<ToolConfigState> SnapshotToolConfigs(const std::vector<std::string>& dirs) {
  std::vector<ToolConfigState> states;
  for (const std::string& dir : dirs) {
    for (const ToolConfig& config : kToolConfigs) {
      std::string path = (dir == "/" ? "" : dir) + "/" + std::string(config.path);
      bool seen = false;
      for (const ToolConfigState& s : states) seen |= s.path == path;
      if (!seen) states.push_back(Stat(std::move(path), &config));
    }
  }
  return states;
}

std::vector<ToolConfigChange> FindToolConfigChanges(const std::vector<ToolConfigState>& before) {
  std::vector<ToolConfigChange> changes;
  for (const ToolConfigState& was : before) {
    ToolConfigState now = Stat(was.path, was.config);
    if (!now.existed) continue;
    const char* change = nullptr;
    if (!was.existed) {
      change = "created";
    } else if (now.dev != was.dev || now.ino != was.ino || now.ctime_ns != was.ctime_ns ||
               now.size != was.size) {
      change = "changed";
    }
    if (change != nullptr) changes.push_back({was.path, was.config, change});
  }
  return changes;
}

std::string Warning(const ToolConfigChange& change) {
  std::string tool(change.config->tool);
  return "the job " + change.change + " " + change.path + ", which " + tool +
         " reads at its next start there (" + std::string(change.config->runs) +
         " can name a program it runs); review it before running " + tool +
         " outside the sandbox, or --protect it";
}

}  // namespace sandbox::workspace

#include "workspace/tool_configs.h"

#include <sys/stat.h>

#include <algorithm>

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

std::vector<ToolConfigState> SnapshotToolConfigs(std::vector<std::string> dirs) {
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  std::vector<ToolConfigState> states;
  for (const std::string& dir : dirs) {
    for (const ToolConfig& config : kToolConfigs) {
      states.push_back(Stat((dir == "/" ? "" : dir) + "/" + std::string(config.path), &config));
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

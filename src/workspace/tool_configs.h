// Tool configuration a job can leave in a writable directory that makes the tool run a
// program of the job's at its next start on the host: `.cargo/config.toml`'s `rustc-wrapper`,
// `.yarnrc.yml`'s `yarnPath`, `.npmrc`'s `node-options`. A job can hide a new one from
// `git status` with a `.gitignore` of its own (`.cargo/.gitignore` holding `*`). Builds and CI
// steps write some of them legitimately, so they are not protected by default (`--protect`
// names them); each one the job created or changed is named after the run instead.
#ifndef SANDBOX_WORKSPACE_TOOL_CONFIGS_H_
#define SANDBOX_WORKSPACE_TOOL_CONFIGS_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sandbox::workspace {

/// A configuration file, relative to the directory the tool runs in (or an ancestor of it),
/// and what in it can name a program.
struct ToolConfig {
  std::string_view path;
  std::string_view tool;
  std::string_view runs;
};

inline constexpr ToolConfig kToolConfigs[] = {
    {".npmrc", "npm", "node-options, script-shell"},
    {".yarnrc", "yarn", "yarn-path"},
    {".yarnrc.yml", "yarn", "yarnPath"},
    {".pnpmfile.cjs", "pnpm", "its hooks, at every install"},
    {"bunfig.toml", "bun", "preload"},
    {".cargo/config.toml", "cargo", "rustc-wrapper, runner, linker"},
    {".cargo/config", "cargo", "rustc-wrapper, runner, linker"},
    {"rust-toolchain.toml", "rustup", "a toolchain's path"},
    {"rust-toolchain", "rustup", "a toolchain's path"},
    {".mvn/extensions.xml", "maven", "build extensions"},
    {".mvn/jvm.config", "maven", "-javaagent"},
    {".mvn/maven.config", "maven", "its options"},
    {".bundle/config", "bundler", "BUNDLE_GEMFILE"},
    {".pdbrc", "pdb", "commands at its start"},
};

/// One watched configuration path as it was before the run.
struct ToolConfigState {
  std::string path;  // absolute host path
  const ToolConfig* config = nullptr;
  bool existed = false;
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t ctime_ns = 0;  // the job cannot set it back
  off_t size = 0;
};

/// What the check after the run found at `path`: "created" (absent before), "changed"
/// (another inode, or the same one written, renamed over or chmod'ed), "removed" is not
/// reported (the tool then runs without it).
struct ToolConfigChange {
  std::string path;
  const ToolConfig* config = nullptr;
  std::string change;
};

/// Each kToolConfigs path beneath each of `dirs` (absolute, canonical; one named twice counts
/// once), as it is now; symlinks are never followed.
std::vector<ToolConfigState> SnapshotToolConfigs(std::vector<std::string> dirs);

/// After the run: the watched paths the job created or changed.
std::vector<ToolConfigChange> FindToolConfigChanges(const std::vector<ToolConfigState>& before);

/// The warning for one finding, after "sandbox: warning: ".
std::string Warning(const ToolConfigChange& change);

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_TOOL_CONFIGS_H_

// Live runs on disk, for `sandbox ps`, `enter` and `stop`: one file per run in a directory only
// its user can read ($XDG_RUNTIME_DIR/sandbox, else /tmp/sandbox-UID, mode 0700). The supervisor
// writes its run's entry once pid 1 exists and removes it when the run ends; an entry whose
// supervisor is gone (killed with SIGKILL) is stale, never entered, and removed when seen.
#ifndef SANDBOX_APP_RUN_REGISTRY_H_
#define SANDBOX_APP_RUN_REGISTRY_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "launch/run_state.h"
#include "launch/supervisor.h"

namespace sandbox::app {

/// True if `pid` is the process that had `start`: alive, and not a recycled pid.
bool IsSameProcess(pid_t pid, uint64_t start);

/// [A-Za-z0-9][A-Za-z0-9_.-]{0,63}; the error names the rule.
Result<void> CheckRunName(const std::string& name);

/// Six random hex digits.
std::string GenerateRunName();

class RunRegistry {
 public:
  /// The caller's directory, created if missing; refuses one that is a symlink, not owned by
  /// the caller or open to others.
  static Result<RunRegistry> Open();
  /// Over `dir` (tests).
  static Result<RunRegistry> OpenAt(const std::string& dir);

  const std::string& dir() const { return dir_; }

  /// Writes (atomically, mode 0600) the entry for state.name.
  Result<void> Write(const launch::RunState& state) const;
  void Remove(const std::string& name) const;

  /// The runs whose supervisor is alive, by creation time; stale entries are removed.
  std::vector<launch::RunState> LiveRuns() const;

  /// The live run called `name`: an error that says so when there is none, or when its entry
  /// is stale (then removed) or not the caller's.
  Result<launch::RunState> Find(const std::string& name) const;

 private:
  explicit RunRegistry(std::string dir) : dir_(std::move(dir)) {}
  std::string EntryPath(const std::string& name) const { return dir_ + "/" + name + ".run"; }
  std::string dir_;
};

/// Writes the run's entry when the sandbox has started and removes it when it ends.
class RegistryObserver : public launch::RunObserver {
 public:
  RegistryObserver(RunRegistry registry, launch::RunState state)
      : registry_(std::move(registry)), state_(std::move(state)) {}
  ~RegistryObserver() override;
  void OnStarted(pid_t init_pid, int pidfd) override;
  void OnFinished(const report::Outcome& outcome) override;

 private:
  RunRegistry registry_;
  launch::RunState state_;
  bool written_ = false;
};

}  // namespace sandbox::app

#endif  // SANDBOX_APP_RUN_REGISTRY_H_

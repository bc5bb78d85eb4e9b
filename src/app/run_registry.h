// Live runs on disk, for `sandbox ps`, `enter` and `stop`: one file per run in a directory only
// its user can read (DefaultRunDirectory(), mode 0700). The supervisor
// writes its run's entry once pid 1 exists and removes it when the run ends; an entry whose
// supervisor is gone (killed with SIGKILL) is stale, never entered, and removed when seen.
#ifndef SANDBOX_APP_RUN_REGISTRY_H_
#define SANDBOX_APP_RUN_REGISTRY_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/user_namespace.h"
#include "launch/run_state.h"
#include "launch/supervisor.h"

namespace sandbox::app {

/// True if `pid` is the process that had `start`: alive, and not a recycled pid.
bool IsSameProcess(pid_t pid, uint64_t start);

/// [A-Za-z0-9][A-Za-z0-9_.-]{0,63}; the error names the rule.
Result<void> CheckRunName(const std::string& name);

/// Six random hex digits.
std::string GenerateRunName();

/// Where the caller's runs register. A directory of one user namespace other than the host's
/// is removed with its namespace's last run (`removed_when_empty`).
struct RunDirectory {
  std::string path;
  bool removed_when_empty = false;
};

/// $XDG_RUNTIME_DIR/sandbox, else /dev/shm/NAME when /dev/shm is a tmpfs, else /tmp/NAME,
/// NAME being FallbackRunDirectoryName() for the caller's uid and user namespace.
RunDirectory DefaultRunDirectory();

/// "sandbox-UID" in the initial user namespace (or when /proc cannot tell: nullopt);
/// "sandbox-UID-userns-INODE-outside-OUTSIDE" in any other, whose uids are not the host's
/// (OUTSIDE: the uid that UID is outside the namespace, left out when unknown). The kernel
/// reuses a dead namespace's inode number, so the inode alone could name the directory of
/// another user's earlier namespace.
std::string FallbackRunDirectoryName(uid_t uid, std::optional<ino_t> user_namespace,
                                     std::optional<uid_t> outside_uid = std::nullopt);

class RunRegistry {
 public:
  /// The caller's directory, created if missing (for a run); refuses one that is a symlink,
  /// not owned by the caller or open to others.
  static Result<RunRegistry> Open();
  /// The same directory, not created when missing (for ps, enter, stop): a registry without
  /// runs, which leaves no empty directory behind.
  static Result<RunRegistry> OpenToRead();
  /// Over `dir` (tests).
  static Result<RunRegistry> OpenAt(RunDirectory dir);

  const std::string& dir() const { return dir_.path; }

  /// Claims `name` for a run about to start, whose supervisor is `supervisor` (started at
  /// `supervisor_start`): a symlink whose text names the supervisor, created by symlink(2),
  /// which fails when the name exists, so two runs started at once cannot both have it. One
  /// syscall: the claim is on the start-up path. An entry whose supervisor is gone is removed
  /// and the name claimed; one of a live supervisor is an error that says so.
  Result<void> Reserve(const std::string& name, pid_t supervisor, uint64_t supervisor_start) const;
  /// Replaces (atomically, mode 0600; rename(2) over the claim) the entry for state.name, which
  /// the caller holds.
  Result<void> Write(const launch::RunState& state) const;
  /// Removes the entry, and the directory with it when it is one to remove once empty.
  void Remove(const std::string& name) const;

  /// The runs whose supervisor and init are alive, by creation time; stale entries are removed.
  std::vector<launch::RunState> LiveRuns() const;

  /// The live run called `name`: an error that says so when there is none, when it is still
  /// starting or already ending, or when its entry is stale (then removed) or not the caller's.
  Result<launch::RunState> Find(const std::string& name) const;

 private:
  enum class Status {
    kAbsent,    // no entry
    kForeign,   // an entry owned by another uid (only reachable if the directory was shared)
    kStale,     // its supervisor is gone (killed with SIGKILL): removed now
    kStarting,  // claimed by a live supervisor whose sandbox is not built yet
    kEnding,    // the init is gone; the live supervisor will remove the entry
    kLive,
  };
  struct Lookup {
    Status status = Status::kAbsent;
    launch::RunState state;
    uid_t owner = 0;
  };
  Lookup Look(const std::string& name) const;

  explicit RunRegistry(RunDirectory dir) : dir_(std::move(dir)) {}
  std::string EntryPath(const std::string& name) const { return dir_.path + "/" + name + ".run"; }
  RunDirectory dir_;
};

/// Completes the run's reserved entry once the sandbox is built (its init's pid and start time)
/// and removes it when the run ends, or when the run never started.
class RegistryObserver : public launch::RunObserver {
 public:
  /// `state.name` is reserved in `registry` (RunRegistry::Reserve).
  RegistryObserver(RunRegistry registry, launch::RunState state)
      : registry_(std::move(registry)), state_(std::move(state)) {}
  ~RegistryObserver() override;
  void OnStarted(pid_t init_pid, int pidfd) override;
  void OnReady() override;
  void OnLandlockObject(const Record& record) override;
  void OnFinished(const report::Outcome& outcome) override;

 private:
  RunRegistry registry_;
  launch::RunState state_;
  bool written_ = true;  // the reservation
};

}  // namespace sandbox::app

#endif  // SANDBOX_APP_RUN_REGISTRY_H_

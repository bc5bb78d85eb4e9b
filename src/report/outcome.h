// Outcome: how a run ended, as the supervisor saw it (after sandbox2's result.h). The report
// layer turns it into an exit status and a message.
#ifndef SANDBOX_REPORT_OUTCOME_H_
#define SANDBOX_REPORT_OUTCOME_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/record.h"
#include "common/unique_fd.h"

namespace sandbox::report {

struct SeccompDenial {
  std::string syscall;
  uint64_t count = 0;
  std::optional<int64_t> first_pid;  // in the sandbox's pid namespace
  std::string first_comm;
};

/// One destination of the egress allow-list's run (docs/network.md): a host (a name, or an
/// address's text) and port (0: a name lookup), what went there and what was refused.
struct NetworkDestination {
  std::string host;
  uint16_t port = 0;
  bool allowed = false;         // some connection went out
  uint64_t connections = 0;     // connections relayed
  uint64_t refused = 0;         // connects, sends, lookups and requests refused
  uint64_t bytes_sent = 0;      // from the job
  uint64_t bytes_received = 0;  // to the job
  int64_t first_unix_ms = 0;    // first asked for
  std::string first_comm;       // the first refused caller, when the fence refused it
  std::optional<int64_t> first_pid;
  std::string why;  // the first refusal's reason
};

/// A bounded tmpfs the job left with no space (blocks or inodes): where it met ENOSPC.
struct FullTmpfs {
  std::string target;  // inside the sandbox, "/tmp"
  uint64_t size_bytes = 0;
};

struct Outcome {
  enum class Kind {
    kExited,       // the job exited with `code`
    kSignaled,     // the job died of `signal`
    kTimedOut,     // the job outlived --timeout and was stopped
    kSetupFailed,  // the sandbox failed before the job ran; `record` says where
    kExecFailed,   // the job's execve failed; `record` says why
    kLost,         // pid 1 ended without reporting the job (killed from outside)
  };
  Kind kind = Kind::kExited;
  int code = 0;
  int signal = 0;
  std::optional<Record> record;
  // From the run's cgroup, when cgroup limits were set.
  std::optional<uint64_t> memory_peak;
  uint64_t oom_kills = 0;
  // getrusage(RUSAGE_CHILDREN) once pid 1 is reaped: every process of the sandbox that was
  // reaped (pid 1 reaps the job and every orphan) is counted.
  struct Usage {
    int64_t user_microseconds = 0;
    int64_t system_microseconds = 0;
    uint64_t max_rss_bytes = 0;  // of the largest single process, not the sum
  };
  std::optional<Usage> usage;
  // Calls the seccomp filter refused (or, under action "log", reported), in order of first
  // occurrence. Empty under action "kill": the kernel kills without telling.
  std::vector<SeccompDenial> seccomp_denials;
  // The egress allow-list: "allow-list" or "log" ("" without one), and every destination.
  std::string network_mode;
  std::vector<NetworkDestination> network;
  // Processes of the sandbox still running when the job ended, which pid 1 then killed
  // (background daemons, test servers never stopped); nullopt when pid 1 did not say.
  std::optional<uint64_t> leftover_processes_killed;
  // No bind or overlay of the host: the root holds only what the flags created, so a command
  // that is not found was never there to find (for the message's hint).
  bool nothing_of_host_mounted = false;
  // pid 1's look at the bounded tmpfs mounts once the job ended (kTmpfsFull records).
  std::vector<FullTmpfs> full_tmpfs;
  // --workspace overlay: the overlay's upper dir as pid 1 handed it over (the descriptor keeps
  // its tmpfs after the namespace is gone); null when the run had none or never got that far.
  std::shared_ptr<UniqueFd> workspace_changes;
};

}  // namespace sandbox::report

#endif  // SANDBOX_REPORT_OUTCOME_H_

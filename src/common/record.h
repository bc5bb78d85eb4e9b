// The fixed-size records the sandbox (pid 1 and the job before execve) sends its supervisor
// over the SOCK_SEQPACKET sync socket. One record is one message, so it arrives whole or not
// at all; encoding never allocates (async-signal-safe).
#ifndef SANDBOX_COMMON_RECORD_H_
#define SANDBOX_COMMON_RECORD_H_

#include <cstddef>
#include <cstdint>

#include "common/setup_step.h"

namespace sandbox {

enum class RecordKind : uint8_t {
  kSetupError = 1,        // a step failed; the job never ran
  kExecError = 2,         // the job's execve failed (126/127)
  kJobExited = 3,         // pid 1 saw the job end; status is a waitpid() status
  kStepDone = 4,          // --verbose: `step` finished after `nanoseconds`
  kSeccompListener = 5,   // carries the seccomp notification listener (SCM_RIGHTS)
  kTerminal = 6,          // carries the master of the job's pseudo-terminal (SCM_RIGHTS)
  kSandboxReady = 7,      // pid 1 has built the sandbox (filesystem, hostname, lo); the job is next
  kTmpfsFull = 8,         // after the job: the bounded tmpfs at `path` (op_index) was left full
  kWorkspaceChanges = 9,  // carries the workspace overlay's upper dir (SCM_RIGHTS)
  kLandlockObject = 10,   // pid 1 added a Landlock rule on the object at `path`: its device, inode
  kSeccompPidfd = 11,     // carries the job's own pidfd (SCM_RIGHTS), sent before its filter
  kSeccompListenerAt = 12,  // the job's listener is its descriptor `status`: take it, then ack
  kEgressSocket = 13,       // carries a socket pid 1 made for the egress proxy; op_index: its role
};

inline constexpr size_t kRecordPathSize = 512;
inline constexpr size_t kRecordDetailSize = 160;

struct Record {
  RecordKind kind = RecordKind::kSetupError;
  SetupStep step = SetupStep::kCount;
  int32_t error = 0;        // errno, 0 if none
  int32_t status = 0;       // kJobExited: the raw wait status
  int32_t op_index = -1;    // index of the mount op in the plan, -1 if none
  int64_t nanoseconds = 0;  // kStepDone: how long the step took
  int32_t leftovers = 0;    // kJobExited: processes pid 1 killed after the job ended
  uint64_t bytes = 0;       // kTmpfsFull: the mount's size
  uint64_t device = 0;      // kLandlockObject: st_dev and st_ino of the rule's object
  uint64_t inode = 0;
  char path[kRecordPathSize] = {};      // the path involved, truncated
  char detail[kRecordDetailSize] = {};  // extra words, e.g. "symlink escapes the root"
};

/// Fills a setup/exec error record. Strings may be null. Async-signal-safe.
Record MakeErrorRecord(RecordKind kind, SetupStep step, int error, int op_index, const char* path,
                       const char* detail) noexcept;

/// Fills a kStepDone record. Async-signal-safe.
Record MakeStepRecord(SetupStep step, int op_index, int64_t nanoseconds) noexcept;
/// kSandboxReady. Async-signal-safe.
Record MakeReadyRecord() noexcept;

/// Sends one record as one message. Returns false if the socket is gone. Async-signal-safe.
bool SendRecord(int fd, const Record& record) noexcept;

/// Sends `record` with descriptor `passed` attached (SCM_RIGHTS). Async-signal-safe.
bool SendRecordWithFd(int fd, const Record& record, int passed) noexcept;

/// The same for any fixed-size message (the egress proxy's control messages): `size` bytes as
/// one message with `passed` attached. Async-signal-safe.
bool SendWithFd(int fd, const void* data, size_t size, int passed) noexcept;

/// Receives one message of at most `size` bytes without blocking; a descriptor attached to it
/// lands in *passed (-1 if none; close-on-exec). Returns the byte count as recv(2) does.
long ReceiveWithFd(int fd, void* data, size_t size, int* passed) noexcept;

/// Receives one record without blocking; a descriptor attached to it lands in *passed (-1 if
/// none; close-on-exec). Returns the byte count as recv(2) does.
long ReceiveRecord(int fd, Record* record, int* passed) noexcept;

}  // namespace sandbox

#endif  // SANDBOX_COMMON_RECORD_H_

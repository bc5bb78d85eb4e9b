// The exit statuses the sandbox reserves, shared by the supervisor and the report. They follow
// env(1), docker run and podman run so CI scripts can tell the sandbox's failures from the job's.
#ifndef SANDBOX_COMMON_EXIT_STATUS_H_
#define SANDBOX_COMMON_EXIT_STATUS_H_

namespace sandbox {

// --workspace overlay: --changes fail found changes, or --changes apply refused some or met a
// conflict (the job itself exited 0).
inline constexpr int kExitWorkspaceChanged = 123;
inline constexpr int kExitTimeout = 124;         // the job outlived --timeout (as timeout(1))
inline constexpr int kExitSandboxFailure = 125;  // the sandbox failed before the job ran
inline constexpr int kExitCannotExecute = 126;   // the command exists but cannot be executed
inline constexpr int kExitNotFound = 127;        // the command was not found
inline constexpr int kExitSignalBase = 128;      // 128+N: the job died of signal N

}  // namespace sandbox

#endif  // SANDBOX_COMMON_EXIT_STATUS_H_

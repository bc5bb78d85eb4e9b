// The first argument a bwrap-mode job gives the sandbox's own binary when it re-executes it
// through /proc/PID/exe (child/exec.cc), and main() looks for before anything else: bwrap mode
// then holds whatever the binary's file is called. bubblewrap refuses it as an unknown option,
// so no command line meant for bubblewrap starts with it; `sandbox bwrap` cannot serve, since a
// binary named bwrap takes "bwrap" as the command to run.
#ifndef SANDBOX_COMMON_BWRAP_REEXEC_H_
#define SANDBOX_COMMON_BWRAP_REEXEC_H_

namespace sandbox {

inline constexpr char kBwrapReexecArg[] = "--sandbox-bwrap-reexec";

}  // namespace sandbox

#endif  // SANDBOX_COMMON_BWRAP_REEXEC_H_

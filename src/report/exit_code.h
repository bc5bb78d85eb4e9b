// Outcome -> the supervisor's exit status and the one-line message for stderr.
#ifndef SANDBOX_REPORT_EXIT_CODE_H_
#define SANDBOX_REPORT_EXIT_CODE_H_

#include <functional>
#include <string>
#include <vector>

#include "report/outcome.h"

namespace sandbox::report {

/// The job's code; 128+N for signal N; 124 on timeout; 125/126/127 for setup, exec failures.
int ExitCodeFor(const Outcome& outcome);

/// Describes mount op `index` for messages, e.g. "--bind /a /b"; may return "".
using OpDescriber = std::function<std::string(int index)>;

/// The line to print on stderr ("sandbox: ..."), or "" when the job's own status speaks. A
/// setup failure that a host limit explains ends with " (see: sandbox doctor)".
std::string MessageFor(const Outcome& outcome, const OpDescriber& describe_op);

/// The record's path as the user knows it: mount records carry paths relative to the new
/// root, shown here with their leading '/'.
std::string DisplayPath(const Record& record);

/// True when a setup failure is typical of a host that restricts user namespaces or masks
/// /proc (EPERM on the first mounts, or on mounting proc): `sandbox doctor` explains those.
bool IsHostLimit(const Record& record);

/// The notes printed after a run. One line per denied call: "sandbox: seccomp denied keyctl x3
/// (first: python3, pid 7)"; "logged" instead of "denied" when the action let the calls
/// through. Then one per tmpfs the job left full: "sandbox: tmpfs /tmp is full (64M): ...".
std::vector<std::string> DenialLines(const Outcome& outcome, bool logged);

inline constexpr const char* kDoctorHint = "(see: sandbox doctor)";

}  // namespace sandbox::report

#endif  // SANDBOX_REPORT_EXIT_CODE_H_

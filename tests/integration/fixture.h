// The integration-test fixture: a world-readable copy of the sandbox and the probe, a scratch
// directory per test, and helpers that run the sandbox as uid 65534 when the tests run as root.
#ifndef SANDBOX_TESTS_INTEGRATION_FIXTURE_H_
#define SANDBOX_TESTS_INTEGRATION_FIXTURE_H_

#include <gtest/gtest.h>
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "runner.h"

namespace sandbox::testing {

// The exit statuses the sandbox promises (see `sandbox --help` and STYLE.md section 3).
inline constexpr int kExitTimeout = 124;
inline constexpr int kExitSandboxFailure = 125;
inline constexpr int kExitCannotExecute = 126;
inline constexpr int kExitNotFound = 127;

// Magic number of tmpfs as the probe's statfs-type prints it.
inline constexpr char kTmpfsMagic[] = "0x1021994";

// The binaries come from the build (compile definitions SANDBOX_BINARY and SANDBOX_PROBE); the
// environment variables SANDBOX_IT_SANDBOX and SANDBOX_IT_PROBE override them.
class SandboxTest : public ::testing::Test {
 protected:
  /// Copies the binaries into a fresh 0755 directory under /tmp and checks that the run user can
  /// create user namespaces; the reason is kept for SetUp() to skip with.
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  static bool AsRoot();
  /// The host uid the sandbox runs as: 65534 under root, else the caller's own.
  static uid_t RunUid();
  static gid_t RunGid();
  /// Host directory bound read-only at /sbx by the common flags; holds probe, sandbox and a
  /// 0644 file `not-executable`.
  static const std::string& BinDir();

  /// Caller environment for every run: PATH, TERM=xterm-sbxtest, LANG=C.UTF-8.
  static SpawnOptions DefaultOptions();
  /// [setpriv ... --] sandbox ARGS...
  static std::vector<std::string> SandboxArgv(const std::vector<std::string>& args);
  /// [setpriv ... --] ARGV..., on the host, as the run user.
  static std::vector<std::string> AsRunUser(const std::vector<std::string>& argv);
  /// [setpriv ... --] probe ARGS..., on the host, as the run user.
  static std::vector<std::string> HostProbeArgv(const std::vector<std::string>& args);
  /// --ro-bind BIN /sbx --proc /proc --dev /dev --tmpfs /tmp
  static std::vector<std::string> CommonFlags();
  /// sandbox COMMON-FLAGS FLAGS... -- /sbx/probe ARGS...
  static std::vector<std::string> ProbeArgv(const std::vector<std::string>& flags,
                                            const std::vector<std::string>& probe_args);

  static RunResult RunSandbox(const std::vector<std::string>& args,
                              const SpawnOptions& options = DefaultOptions());
  static RunResult RunProbe(const std::vector<std::string>& flags,
                            const std::vector<std::string>& probe_args,
                            const SpawnOptions& options = DefaultOptions());

  /// Creates SCRATCH/name (0755; owned by the run user if `job_writable`) and returns its path.
  std::string MakeDir(const std::string& name, bool job_writable = false);
  /// Writes SCRATCH/name with `content` (mode 0644) and returns its path.
  std::string MakeFile(const std::string& name, const std::string& content);
  const std::string& scratch() const { return scratch_; }

 private:
  std::string scratch_;  // per-test host directory, outside the /sbx bind
};

// --- Small helpers shared by the test files. ---

/// Splits on '\n', dropping the empty piece after a final newline.
std::vector<std::string> Lines(const std::string& text);
/// "Key:\tvalue" lines (as in /proc/PID/status) to a map.
std::map<std::string, std::string> StatusFields(const std::string& text);
/// Reads a host file; empty on error.
std::string ReadHostFile(const std::string& path);
/// Host pids whose /proc/PID/comm is exactly `comm`.
std::vector<pid_t> HostPidsWithComm(const std::string& comm);
/// Host pids whose parent is `parent`.
std::vector<pid_t> ChildrenOf(pid_t parent);
/// `length` random lowercase letters and digits.
std::string RandomName(size_t length);

}  // namespace sandbox::testing

#endif  // SANDBOX_TESTS_INTEGRATION_FIXTURE_H_

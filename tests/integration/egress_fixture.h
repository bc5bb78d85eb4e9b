// The egress tests' common fixture: runs under the base profile with a report in a directory
// the job may write, and checks that report against its schema and expected fields.
#ifndef SANDBOX_TESTS_INTEGRATION_EGRESS_FIXTURE_H_
#define SANDBOX_TESTS_INTEGRATION_EGRESS_FIXTURE_H_

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <vector>

#include "profile_fixture.h"

namespace sandbox::testing {

class EgressFixture : public ProfileFixture {
 protected:
  void SetUp() override {
    ProfileFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!HostHas("/usr/bin/curl")) GTEST_SKIP() << "needs curl";
    out_dir_ = MakeDir("out", /*job_writable=*/true);
  }

  // sandbox --profile base --report R FLAGS... -- COMMAND: the arguments, and the run.
  std::vector<std::string> Args(const std::vector<std::string>& flags,
                                const std::vector<std::string>& command) {
    std::vector<std::string> args = {"--profile", Profiles() + "/base.toml", "--report", Report()};
    args.insert(args.end(), flags.begin(), flags.end());
    args.emplace_back("--");
    args.insert(args.end(), command.begin(), command.end());
    return args;
  }
  RunResult Run(const std::vector<std::string>& flags, const std::vector<std::string>& command) {
    return RunSandbox(Args(flags, command));
  }
  std::string Report() const { return out_dir_ + "/report.json"; }
  // check_report.py on the run's report: valid against the schema, and each `expect`
  // ("path=value") holds.
  RunResult Check(const std::vector<std::string>& expect) {
    std::vector<std::string> argv = {"/usr/bin/env", "python3", SANDBOX_CHECK_REPORT,
                                     SANDBOX_REPORT_SCHEMA, Report()};
    for (const std::string& e : expect) argv.insert(argv.end(), {"--expect", e});
    return RunProcess(argv, DefaultOptions());
  }

  std::string out_dir_;
};

// The egress proxy the supervisor `supervisor` started, or -1.
inline pid_t ProxyOf(pid_t supervisor) {
  for (pid_t pid : HostPidsWithComm("sandbox-egress-")) {
    std::string stat = ReadHostFile("/proc/" + std::to_string(pid) + "/stat");
    size_t paren = stat.rfind(')');  // comm may itself hold spaces and parentheses
    int ppid = 0;
    if (paren != std::string::npos &&
        std::sscanf(stat.c_str() + paren + 1, " %*c %d", &ppid) == 1 && ppid == supervisor) {
      return pid;
    }
  }
  return -1;
}

}  // namespace sandbox::testing

#endif  // SANDBOX_TESTS_INTEGRATION_EGRESS_FIXTURE_H_

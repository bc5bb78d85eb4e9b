// `sandbox step`, the entry point a CI master puts in front of every step on a worker
// (docs/fleet.md): a pinned profile, the report out of the job's sight, one summary line, the
// job's status as the step's, SIGTERM from the engine forwarded and reported.
#include <signal.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fixture.h"
#include "profile_fixture.h"

namespace sandbox::testing {
namespace {

namespace fs = std::filesystem;

class StepTest : public ProfileFixture {
 protected:
  void SetUp() override {
    ProfileFixture::SetUp();
    project_ = MakeDir("checkout", true);
    reports_ = MakeDir("reports", true);
    name_ = "step-" + RandomName(6);
  }

  std::vector<std::string> StepArgs(const std::vector<std::string>& command,
                                    const std::string& profile = "",
                                    const std::string& report_dir = "") {
    std::vector<std::string> args = {"step",
                                     "--profile",
                                     profile.empty() ? Profiles() + "/fleet.toml" : profile,
                                     "--report-dir",
                                     report_dir.empty() ? reports_ : report_dir,
                                     "--name",
                                     name_,
                                     "--ro-bind",
                                     BinDir(),
                                     "/sbx",
                                     "--"};
    args.insert(args.end(), command.begin(), command.end());
    return args;
  }

  SpawnOptions InProject() {
    SpawnOptions options = DefaultOptions();
    options.cwd = project_;
    return options;
  }

  std::string project_;
  std::string reports_;
  std::string name_;
};

// The report lands in the report directory, which the job cannot see; the job's status is the
// step's and the last line says so.
TEST_F(StepTest, ReportIsOutOfTheJobsSightAndTheStatusIsTheSteps) {
  RunResult r = RunSandbox(
      StepArgs({"/bin/sh", "-c", "test -e \"$1\" && exit 9; exit 3", "sh", reports_}), InProject());
  EXPECT_EQ(r.exit_code, 3) << r;
  const std::string report = reports_ + "/" + name_ + ".json";
  std::vector<std::string> lines = Lines(r.err);
  ASSERT_FALSE(lines.empty()) << r;
  const std::string prefix = "sandbox: step " + name_ + ": exited 3 after ";
  EXPECT_EQ(lines.back().rfind(prefix, 0), 0u) << r;
  EXPECT_NE(lines.back().find(" s; report " + report), std::string::npos) << r;
  std::string json = ReadHostFile(report);
  EXPECT_NE(json.find("\"exit_code\": 3"), std::string::npos) << json;
  EXPECT_NE(json.find("\"outcome\": \"exited\""), std::string::npos) << json;
}

// What would let the step choose its own rules or reach its report is refused before it runs.
TEST_F(StepTest, UnpinnedProfileAndVisibleReportsAreRefused) {
  RunResult by_name = RunSandbox(StepArgs({"/bin/true"}, "fleet"), InProject());
  EXPECT_EQ(by_name.exit_code, kExitSandboxFailure) << by_name;
  EXPECT_EQ(by_name.err.rfind("sandbox: step: pin the profile with its absolute path", 0), 0u)
      << by_name;

  // The checkout is the job's: a report there could be read or planted by the step.
  RunResult in_checkout = RunSandbox(StepArgs({"/bin/true"}, "", project_), InProject());
  EXPECT_EQ(in_checkout.exit_code, kExitSandboxFailure) << in_checkout;
  EXPECT_NE(in_checkout.err.find("sandbox: the report directory " + project_ +
                                 " is visible to the job through " + project_),
            std::string::npos)
      << in_checkout;
  std::string inside = MakeDir("checkout/out", true);
  RunResult below = RunSandbox(StepArgs({"/bin/true"}, "", inside), InProject());
  EXPECT_EQ(below.exit_code, kExitSandboxFailure) << below;

  std::vector<std::string> own_report = StepArgs({"/bin/true"});
  own_report.insert(own_report.begin() + 1, {"--report", reports_ + "/mine.json"});
  RunResult report_flag = RunSandbox(own_report, InProject());
  EXPECT_EQ(report_flag.exit_code, kExitSandboxFailure) << report_flag;
  EXPECT_EQ(report_flag.err.rfind("sandbox: step: the report's place is --report-dir DIR", 0), 0u)
      << report_flag;

  RunResult missing = RunSandbox(StepArgs({"/bin/true"}, "", scratch() + "/nope"), InProject());
  EXPECT_EQ(missing.exit_code, kExitSandboxFailure) << missing;
  EXPECT_NE(missing.err.find("not an existing directory"), std::string::npos) << missing;

  // A checkout that is the worker's home (or holds it) is refused by the workspace rules.
  SpawnOptions home = InProject();
  home.env.push_back("HOME=" + project_);
  RunResult at_home = RunSandbox(StepArgs({"/bin/true"}), home);
  EXPECT_EQ(at_home.exit_code, kExitSandboxFailure) << at_home;
  EXPECT_NE(at_home.err.find("--workspace"), std::string::npos) << at_home;
}

// A worker's step keeps no cache: what one step writes into its caches is gone with it and
// never reaches the user's ~/.cache, where the next step (or the host's own build) would take
// it. The `ci` profile, which keeps its caches, is the control: the same job leaves them there.
TEST_F(StepTest, NoCacheOutlivesTheStep) {
  const std::string fill =
      "for d in /tmp/.cache/ccache /tmp/.cache/pip /tmp/.cache/go-build; do"
      "  echo planted >\"$d/planted\" || exit 7; done";
  const std::string fleet_home = MakeDir("fleet-home", true);
  SpawnOptions fleet = InProject();
  fleet.env.push_back("HOME=" + fleet_home);
  RunResult stepped = RunSandbox(StepArgs({"/bin/sh", "-c", fill}), fleet);
  ASSERT_EQ(stepped.exit_code, 0) << stepped;
  EXPECT_FALSE(fs::exists(fleet_home + "/.cache/sandbox")) << "a step left caches behind";
  EXPECT_TRUE(fs::is_empty(fleet_home)) << "a step left something in the home";

  const std::string ci_home = MakeDir("ci-home", true);
  SpawnOptions ci = InProject();
  ci.env.push_back("HOME=" + ci_home);
  RunResult control = RunSandbox(
      StepArgs({"/bin/sh", "-c", fill}, Profiles() + "/ci.toml", MakeDir("ci-reports", true)), ci);
  ASSERT_EQ(control.exit_code, 0) << control;
  EXPECT_EQ(ReadHostFile(ci_home + "/.cache/sandbox/caches/pip/data/planted"), "planted\n");
}

// The engine's own timeout sends SIGTERM: forwarded to the job, which ends signaled (143),
// with nothing of the step left running, as the summary and the report say.
TEST_F(StepTest, SigtermFromTheEngineIsForwardedAndReported) {
  Process step(
      SandboxArgv(StepArgs(
          {"/bin/sh", "-c", "/sbx/probe daemon step-leftover; echo ready; exec sleep 30"})),
      InProject());
  ASSERT_TRUE(step.WaitForStdout("ready"));
  ASSERT_EQ(::kill(step.pid(), SIGTERM), 0);
  RunResult r = step.Finish();
  EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r;
  EXPECT_NE(r.err.find("sandbox: step " + name_ + ": signaled SIGTERM (143) after "),
            std::string::npos)
      << r;
  std::string json = ReadHostFile(reports_ + "/" + name_ + ".json");
  EXPECT_NE(json.find("\"outcome\": \"signaled\""), std::string::npos) << json;
  EXPECT_TRUE(HostPidsWithComm("step-leftover").empty()) << "a process of the step survived";
}

}  // namespace
}  // namespace sandbox::testing

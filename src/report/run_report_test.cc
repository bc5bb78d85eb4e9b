#include "report/run_report.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>

#include "report/sha256.h"

namespace sandbox::report {
namespace {

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

RunReport Base() {
  RunReport r;
  r.sandbox_version = "1.2.3";
  r.started_at = "2024-05-01T12:00:00Z";
  r.command = {"make", "-j8"};
  r.namespaces = {"user", "mount"};
  r.landlock_abi = 4;
  r.isolation = "landlock";
  r.rlimits = {{"core", 0}, {"nofile", std::nullopt}};
  return r;
}

TEST(RunReportTest, ExitedRunListsEverySection) {
  RunReport r = Base();
  Outcome o;
  o.kind = Outcome::Kind::kExited;
  o.code = 3;
  o.usage = Outcome::Usage{1'500'000, 250'000, 4096 * 1024};
  SetOutcome(o, nullptr, &r);
  r.setup_steps = {{"bind", "/usr", 1'500'000}, {"pivot_root", "", 500'000}};
  r.wall_seconds = 0.25;
  std::string json = RenderReport(r);
  EXPECT_TRUE(Contains(json, "\"schema_version\": 1,")) << json;
  EXPECT_TRUE(Contains(json, "\"sandbox_version\": \"1.2.3\"")) << json;
  EXPECT_TRUE(Contains(json, "\"started_at\": \"2024-05-01T12:00:00Z\"")) << json;
  EXPECT_TRUE(Contains(json, "\"name\": null,\n    \"path\": null,\n    \"hash\": null")) << json;
  EXPECT_TRUE(Contains(json, "\"command\": [\n    \"make\",\n    \"-j8\"\n  ]")) << json;
  EXPECT_TRUE(Contains(json, "\"outcome\": \"exited\"")) << json;
  EXPECT_TRUE(Contains(json, "\"exit_code\": 3,")) << json;
  EXPECT_TRUE(Contains(json, "\"job_exit_code\": 3,")) << json;
  EXPECT_TRUE(Contains(json, "\"signal\": null")) << json;
  EXPECT_TRUE(Contains(json, "\"error\": null")) << json;
  EXPECT_TRUE(Contains(json, "\"message\": null")) << json;
  EXPECT_TRUE(Contains(json, "\"wall_time_seconds\": 0.250000")) << json;
  EXPECT_TRUE(Contains(json, "\"total_seconds\": 0.002000")) << json;
  EXPECT_TRUE(Contains(json,
                       "\"step\": \"bind\",\n        \"target\": \"/usr\",\n"
                       "        \"seconds\": 0.001500"))
      << json;
  EXPECT_TRUE(Contains(json, "\"target\": null")) << json;
  EXPECT_TRUE(Contains(json, "\"user_cpu_seconds\": 1.500000")) << json;
  EXPECT_TRUE(Contains(json, "\"system_cpu_seconds\": 0.250000")) << json;
  EXPECT_TRUE(Contains(json, "\"max_rss_bytes\": 4194304")) << json;
  EXPECT_TRUE(Contains(json, "\"denials\": []")) << json;
  EXPECT_TRUE(Contains(json, "\"landlock_abi\": 4")) << json;
  EXPECT_TRUE(Contains(json, "\"isolation\": \"landlock\"")) << json;
  EXPECT_TRUE(Contains(json, "\"core\": 0,\n      \"nofile\": null")) << json;
  EXPECT_TRUE(Contains(json, "\"memory_max_bytes\": null")) << json;
}

TEST(RunReportTest, SetupFailureNamesStepErrnoPathAndFlag) {
  RunReport r = Base();
  Outcome o;
  o.kind = Outcome::Kind::kSetupFailed;
  o.record =
      MakeErrorRecord(RecordKind::kSetupError, SetupStep::kMountProc, EPERM, 2, "proc", nullptr);
  SetOutcome(
      o, [](int i) { return i == 2 ? std::string("--proc /proc") : ""; }, &r);
  std::string json = RenderReport(r);
  EXPECT_TRUE(Contains(json, "\"outcome\": \"setup-failed\"")) << json;
  EXPECT_TRUE(Contains(json, "\"exit_code\": 125")) << json;
  EXPECT_TRUE(Contains(json, "\"job_exit_code\": null")) << json;
  EXPECT_TRUE(Contains(json,
                       "\"step\": \"mount proc\",\n    \"errno\": 1,\n"
                       "    \"errno_name\": \"EPERM\",\n"
                       "    \"errno_text\": \"Operation not permitted\",\n"
                       "    \"path\": \"/proc\",\n    \"detail\": null,\n"
                       "    \"flag\": \"--proc /proc\""))
      << json;
  EXPECT_TRUE(Contains(json, "(see: sandbox doctor)\"")) << json;
}

TEST(RunReportTest, SignalsAndLimits) {
  RunReport r = Base();
  Outcome o;
  o.kind = Outcome::Kind::kSignaled;
  o.signal = SIGKILL;
  SetOutcome(o, nullptr, &r);
  EXPECT_EQ(r.outcome, "signaled");
  EXPECT_EQ(r.exit_code, 128 + SIGKILL);
  std::string json = RenderReport(r);
  EXPECT_TRUE(Contains(json, "\"signal\": {\n    \"number\": 9,\n    \"name\": \"SIGKILL\"\n  }"))
      << json;
  EXPECT_TRUE(Contains(json, "\"limit\": null")) << json;

  o.oom_kills = 1;
  r = Base();
  SetOutcome(o, nullptr, &r);
  EXPECT_EQ(r.outcome, "limit");
  EXPECT_EQ(r.limit, "memory");

  o.oom_kills = 0;
  o.signal = SIGXCPU;
  r = Base();
  SetOutcome(o, nullptr, &r);
  EXPECT_EQ(r.outcome, "signaled") << "no cpu limit was set";
  r.rlimits.push_back({"cpu", 10});
  SetOutcome(o, nullptr, &r);
  EXPECT_EQ(r.outcome, "limit");
  EXPECT_EQ(r.limit, "cpu");
}

TEST(RunReportTest, TimeoutAndEarlyFailure) {
  RunReport r = Base();
  Outcome timed_out;
  timed_out.kind = Outcome::Kind::kTimedOut;
  SetOutcome(timed_out, nullptr, &r);
  EXPECT_EQ(r.outcome, "timeout");
  EXPECT_EQ(r.exit_code, 124);

  r = Base();
  SetEarlyFailure("build policy", ENOENT, "--bind /nope /x", "sandbox: cannot bind /nope", &r);
  std::string json = RenderReport(r);
  EXPECT_TRUE(Contains(json, "\"outcome\": \"setup-failed\"")) << json;
  EXPECT_TRUE(Contains(json, "\"errno_name\": \"ENOENT\"")) << json;
  EXPECT_TRUE(Contains(json, "\"flag\": \"--bind /nope /x\"")) << json;
  EXPECT_TRUE(Contains(json, "\"user_cpu_seconds\": null")) << json;
}

TEST(RunReportTest, ProfileNamePathAndHash) {
  RunReport r = Base();
  r.profile_name = "cc";
  r.profile_path = "/etc/sandbox/profiles/cc.toml";
  // Recompute with: python3 -c 'import hashlib; print(hashlib.sha256(b"3\na=1"
  // b"0\n").hexdigest())'
  r.profile_hash = ProfileHash({"a=1", ""});
  EXPECT_EQ(*r.profile_hash, "sha256:" + Sha256Hex(std::string("3\na=1") + "0\n"));
  std::string json = RenderReport(r);
  EXPECT_TRUE(Contains(json,
                       "\"name\": \"cc\",\n    \"path\": \"/etc/sandbox/profiles/cc.toml\",\n"
                       "    \"hash\": \"sha256:"))
      << json;
}

TEST(RunReportTest, ComposedProfilesListNamesAndFiles) {
  RunReport r = Base();
  r.profile_name = "ci, node";
  r.profile_names = {"ci", "node"};
  r.profile_files = {"/p/base.toml", "/p/ci.toml", "/p/node.toml"};
  std::string json = RenderReport(r);
  EXPECT_TRUE(Contains(json,
                       "\"names\": [\n      \"ci\",\n      \"node\"\n    ],\n"
                       "    \"files\": [\n      \"/p/base.toml\",\n      \"/p/ci.toml\",\n"
                       "      \"/p/node.toml\"\n    ]"))
      << json;
}

TEST(RunReportTest, CommandBytesAreEscaped) {
  RunReport r = Base();
  r.command = {"sh", "-c", "echo \"$X\"\n\xff"};
  std::string json = RenderReport(r);
  EXPECT_TRUE(Contains(json, R"("echo \"$X\"\n\ufffd")")) << json;
}

}  // namespace
}  // namespace sandbox::report

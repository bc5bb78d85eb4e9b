#include "policy/environment.h"

#include <gtest/gtest.h>

#include "profile/load.h"

namespace sandbox::policy {
namespace {

using Names = std::vector<std::string>;

TEST(EnvPatternTest, StarAndQuestionMark) {
  EXPECT_TRUE(MatchEnvPattern("GITHUB_*", "GITHUB_SHA"));
  EXPECT_TRUE(MatchEnvPattern("GITHUB_*", "GITHUB_"));
  EXPECT_FALSE(MatchEnvPattern("GITHUB_*", "XGITHUB_SHA"));
  EXPECT_TRUE(MatchEnvPattern("*TOKEN*", "GITHUB_TOKEN"));
  EXPECT_TRUE(MatchEnvPattern("*TOKEN*", "TOKENS_LEFT"));
  EXPECT_TRUE(MatchEnvPattern("*_KEY", "AWS_ACCESS_KEY"));
  EXPECT_FALSE(MatchEnvPattern("*_KEY", "AWS_KEY_ID"));
  EXPECT_TRUE(MatchEnvPattern("A?C", "ABC"));
  EXPECT_FALSE(MatchEnvPattern("A?C", "AC"));
  EXPECT_TRUE(MatchEnvPattern("CC", "CC"));
  EXPECT_FALSE(MatchEnvPattern("CC", "CCC"));
  EXPECT_TRUE(MatchEnvPattern("*A*B*", "xxAyyBzz"));
  EXPECT_FALSE(MatchEnvPattern("*A*B*", "xxByyAzz"));
  EXPECT_TRUE(IsEnvPattern("CI_*"));
  EXPECT_FALSE(IsEnvPattern("CI"));
}

class JobEnvironmentTest : public ::testing::Test {
 protected:
  EnvList caller_ = {{"GITHUB_SHA", "abc"},   {"GITHUB_TOKEN", "s3cret"},
                     {"CC", "gcc"},           {"NPM_TOKEN", "t"},
                     {"SUFFIX", "x"},         {"HOME", "/home/u"},
                     {"AWS_SECRET_KEY", "k"}, {"TERM", "xterm"}};
  EnvInputs Inputs() {
    EnvInputs in;
    in.defaults = {{"PATH", "/usr/bin"}, {"HOME", "/tmp"}};
    in.pass = {"TERM", "GITHUB_*", "CC"};
    in.deny = {"*TOKEN*", "*SECRET*", "*_KEY"};
    in.caller = &caller_;
    return in;
  }
};

TEST_F(JobEnvironmentTest, PatternsPassAndDenyWins) {
  auto job = BuildJobEnvironment(Inputs());
  ASSERT_TRUE(job);
  EXPECT_EQ(job->env, (EnvList{{"PATH", "/usr/bin"},
                               {"HOME", "/tmp"},
                               {"GITHUB_SHA", "abc"},
                               {"CC", "gcc"},
                               {"TERM", "xterm"}}));
  EXPECT_EQ(job->passed, (Names{"CC", "GITHUB_SHA", "TERM"}));
  EXPECT_EQ(job->denied, (Names{"GITHUB_TOKEN"}));
  EXPECT_EQ(job->dropped, (Names{"AWS_SECRET_KEY", "HOME", "NPM_TOKEN", "SUFFIX"}));
}

TEST_F(JobEnvironmentTest, ExactNameBeatsDenyPattern) {
  EnvInputs in = Inputs();
  in.pass.push_back("NPM_TOKEN");
  in.edits = {{cli::EnvRequest::Op::kPass, "SUFFIX", ""},
              {cli::EnvRequest::Op::kPass, "*TOKEN", ""},
              {cli::EnvRequest::Op::kPass, "GITHUB_TOKEN", ""}};
  auto job = BuildJobEnvironment(in);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->passed,
            (Names{"CC", "GITHUB_SHA", "GITHUB_TOKEN", "NPM_TOKEN", "SUFFIX", "TERM"}));
  EXPECT_TRUE(job->denied.empty());
}

TEST_F(JobEnvironmentTest, PassPatternFlagStillDenied) {
  EnvInputs in = Inputs();
  in.edits = {{cli::EnvRequest::Op::kPass, "AWS_*", ""}};
  auto job = BuildJobEnvironment(in);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->denied, (Names{"AWS_SECRET_KEY", "GITHUB_TOKEN"}));
}

TEST_F(JobEnvironmentTest, KeepEnvStillDenies) {
  EnvInputs in = Inputs();
  in.keep_env = true;
  auto job = BuildJobEnvironment(in);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->denied, (Names{"AWS_SECRET_KEY", "GITHUB_TOKEN", "NPM_TOKEN"}));
  EXPECT_EQ(job->passed, (Names{"CC", "GITHUB_SHA", "HOME", "SUFFIX", "TERM"}));
  EXPECT_TRUE(job->dropped.empty());
}

TEST_F(JobEnvironmentTest, EditsAfterPassReplaceTheCallersValue) {
  EnvInputs in = Inputs();
  in.edits = {{cli::EnvRequest::Op::kSet, "CC", "clang"},
              {cli::EnvRequest::Op::kUnset, "TERM", ""}};
  auto job = BuildJobEnvironment(in);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->passed, (Names{"GITHUB_SHA"}));
  EXPECT_EQ(job->dropped, (Names{"AWS_SECRET_KEY", "CC", "HOME", "NPM_TOKEN", "SUFFIX", "TERM"}));
  in.edits = {{cli::EnvRequest::Op::kSet, "", "x"}};
  EXPECT_FALSE(BuildJobEnvironment(in));
}

// What a CI step's environment holds on GitHub Actions, GitLab CI, Buildkite and Jenkins: the
// ci profile lets in the step's and the build's variables and none of the secrets.
TEST(ShippedCiProfileTest, PassesWhatCiSetsButNoSecrets) {
  profile::HostContext host;
  host.cwd = "/home/alice/src/project";
  host.home = "/home/alice";
  host.user = "alice";
  host.search_dirs = {SANDBOX_SOURCE_PROFILES};
  profile::ProfileSpec ci = profile::Load("ci", host).spec;
  EnvInputs in;
  for (const auto& p : ci.env.pass) in.pass.push_back(p.value);
  for (const auto& d : ci.env.deny) in.deny.push_back(d.value);
  EnvList caller = {{"CI", "true"},
                    {"GITHUB_SHA", "abc"},
                    {"GITHUB_TOKEN", "ghs_x"},
                    {"RUNNER_OS", "Linux"},
                    {"ACTIONS_ID_TOKEN_REQUEST_TOKEN", "x"},
                    {"ACTIONS_RUNTIME_TOKEN", "x"},
                    {"GITLAB_CI", "true"},
                    {"CI_COMMIT_SHA", "abc"},
                    {"CI_JOB_TOKEN", "x"},
                    {"CI_JOB_JWT_V2", "x"},
                    {"CI_REGISTRY_PASSWORD", "x"},
                    {"CI_REPOSITORY_URL", "https://gitlab-ci-token:x@host/p.git"},
                    {"BUILDKITE", "true"},
                    {"BUILDKITE_BRANCH", "main"},
                    {"BUILDKITE_AGENT_ACCESS_TOKEN", "x"},
                    {"JENKINS_URL", "http://j/"},
                    {"BUILD_NUMBER", "7"},
                    {"JOB_NAME", "p"},
                    {"BUILDBOT_BUILDNUMBER", "3"},
                    {"CC", "gcc"},
                    {"LDFLAGS", "-s"},
                    {"CMAKE_BUILD_TYPE", "Release"},
                    {"GIT_AUTHOR_NAME", "A"},
                    {"GIT_COMMITTER_EMAIL", "a@b"},
                    {"NPM_TOKEN", "x"},
                    {"AWS_SECRET_ACCESS_KEY", "x"},
                    {"DEPLOY_KEY", "x"},
                    {"SSH_AUTH_SOCK", "/run/ssh"},
                    {"HOME", "/home/runner"},
                    {"SUFFIX", "x"}};
  in.caller = &caller;
  auto job = BuildJobEnvironment(in);
  ASSERT_TRUE(job);
  EXPECT_EQ(job->passed,
            (std::vector<std::string>{
                "BUILDBOT_BUILDNUMBER", "BUILDKITE", "BUILDKITE_BRANCH", "BUILD_NUMBER", "CC", "CI",
                "CI_COMMIT_SHA", "CMAKE_BUILD_TYPE", "GITHUB_SHA", "GITLAB_CI", "GIT_AUTHOR_NAME",
                "GIT_COMMITTER_EMAIL", "JENKINS_URL", "JOB_NAME", "LDFLAGS", "RUNNER_OS"}));
  EXPECT_EQ(job->denied, (std::vector<std::string>{"BUILDKITE_AGENT_ACCESS_TOKEN", "CI_JOB_JWT_V2",
                                                   "CI_JOB_TOKEN", "CI_REGISTRY_PASSWORD",
                                                   "CI_REPOSITORY_URL", "GITHUB_TOKEN"}));
}

}  // namespace
}  // namespace sandbox::policy

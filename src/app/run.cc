// `sandbox [FLAGS] -- COMMAND`: parse, build the policy, launch, report.
#include <cstdio>
#include <string>

#include "app/subcommands.h"
#include "cli/parse.h"
#include "common/exit_status.h"
#include "launch/supervisor.h"
#include "policy/build.h"
#include "report/exit_code.h"

namespace sandbox::app {
namespace {

int Fatal(const Error& error) {
  std::fprintf(stderr, "sandbox: %s\n", error.ToString().c_str());
  return kExitSandboxFailure;
}

}  // namespace

int RunJobCommand(int argc, char** argv, const launch::ProcessImage& image) {
  auto parsed = cli::Parse(argc, argv);
  if (!parsed) return Fatal(parsed.error());
  if (parsed->exit_now) {
    std::fputs(parsed->text.c_str(), stdout);
    return *parsed->exit_now;
  }

  auto policy = policy::Build(parsed->options, policy::Caller::FromProcess());
  if (!policy) return Fatal(policy.error());

  auto plan = launch::BuildChildPlan(*policy, image);
  if (!plan) return Fatal(plan.error());

  std::fflush(nullptr);  // nothing buffered may be written twice by the cloned child
  auto outcome = launch::RunSupervised(*policy, **plan);
  if (!outcome) return Fatal(outcome.error());

  std::string message = report::MessageFor(*outcome, [&](int index) -> std::string {
    if (index < 0 || static_cast<size_t>(index) >= policy->mounts().size()) return "";
    return policy->mounts()[static_cast<size_t>(index)].origin.ToString();
  });
  if (!message.empty()) std::fprintf(stderr, "%s\n", message.c_str());
  return report::ExitCodeFor(*outcome);
}

}  // namespace sandbox::app

// sandbox: parse, build the policy, launch, report. Everything else lives in src/*/.
#include <cstdio>
#include <string>

#include "cli/parse.h"
#include "common/exit_status.h"
#include "launch/plan_builder.h"
#include "launch/supervisor.h"
#include "policy/build.h"
#include "report/exit_code.h"

namespace {

int Fatal(const sandbox::Error& error) {
  std::fprintf(stderr, "sandbox: %s\n", error.ToString().c_str());
  return sandbox::kExitSandboxFailure;
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  using namespace sandbox;
  // Captured first, before anything can move environ: pid 1 wipes this memory.
  launch::ProcessImage image = launch::CaptureProcessImage(argc, argv, envp);

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

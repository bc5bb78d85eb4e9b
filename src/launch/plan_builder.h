// PlanBuilder: compiles a Policy into the ChildPlan the child executes. Pure apart from reading
// the process's own argv/env bounds, so unit tests cover it without privilege.
#ifndef SANDBOX_LAUNCH_PLAN_BUILDER_H_
#define SANDBOX_LAUNCH_PLAN_BUILDER_H_

#include <memory>

#include "child/plan.h"
#include "common/result.h"
#include "policy/policy.h"

namespace sandbox::launch {

struct ProcessImage {
  // The supervisor's original argv/envp memory (see ChildPlan::env_begin); null when unknown.
  char* args_begin = nullptr;
  char* args_end = nullptr;
  char* env_begin = nullptr;
  char* env_end = nullptr;
  int last_capability = 40;
  mode_t umask = 022;
  int64_t started_ns = 0;  // CLOCK_MONOTONIC at main()'s start
};

/// Records where main()'s argv and envp strings live, for pid 1 to wipe. Call from main().
ProcessImage CaptureProcessImage(int argc, char** argv, char** envp);

/// Builds the plan. The plan is returned by pointer because its steps point into itself.
Result<std::unique_ptr<child::ChildPlan>> BuildChildPlan(const policy::Policy& policy,
                                                         const ProcessImage& image);

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_PLAN_BUILDER_H_

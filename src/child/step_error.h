// StepError: what every child step returns. Plain data pointing at static strings or at the
// plan's storage, so building one never allocates (async-signal-safe).
#ifndef SANDBOX_CHILD_STEP_ERROR_H_
#define SANDBOX_CHILD_STEP_ERROR_H_

#include "common/setup_step.h"

namespace sandbox::child {

struct [[nodiscard]] StepError {
  SetupStep step = SetupStep::kCount;  // kCount means success
  int error = 0;                       // errno
  int op_index = -1;                   // the mount op involved, -1 if none
  const char* path = nullptr;
  const char* detail = nullptr;

  bool failed() const noexcept { return step != SetupStep::kCount; }
};

inline StepError StepOk() noexcept { return {}; }

inline StepError StepFailed(SetupStep step, int error, const char* path = nullptr,
                            const char* detail = nullptr) noexcept {
  StepError e;
  e.step = step;
  e.error = error;
  e.path = path;
  e.detail = detail;
  return e;
}

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_STEP_ERROR_H_

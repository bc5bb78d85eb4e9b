#include "seccomp/settings.h"

namespace sandbox::seccomp {

const char* ActionName(Action action) {
  switch (action) {
    case Action::kErrno:
      return "errno";
    case Action::kKill:
      return "kill";
    case Action::kLog:
      return "log";
  }
  return "errno";
}

}  // namespace sandbox::seccomp

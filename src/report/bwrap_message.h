// bwrap mode's failure lines in bubblewrap's own words ("Can't make symlink at ..."), which
// scripts written for bubblewrap match on. The caller adds the "bwrap: " prefix.
#ifndef SANDBOX_REPORT_BWRAP_MESSAGE_H_
#define SANDBOX_REPORT_BWRAP_MESSAGE_H_

#include <string>

#include "report/outcome.h"

namespace sandbox::report {

/// The line for a run that failed before or at exec, without a prefix; "" when the job's own
/// status speaks (it ran).
std::string BwrapMessageFor(const Outcome& outcome);

}  // namespace sandbox::report

#endif  // SANDBOX_REPORT_BWRAP_MESSAGE_H_

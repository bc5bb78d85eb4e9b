// The report's RunDetails (report/run_details.h) as a Policy puts them in force: the timeout,
// every mount with the absent optional ones in their place, and the environment's names.
#ifndef SANDBOX_APP_REPORT_DETAILS_H_
#define SANDBOX_APP_REPORT_DETAILS_H_

#include "policy/policy.h"
#include "report/run_details.h"

namespace sandbox::app {

/// Fills everything but leftover_processes_killed (the outcome's). Never fails.
report::RunDetails DescribePolicy(const policy::Policy& policy);

}  // namespace sandbox::app

#endif  // SANDBOX_APP_REPORT_DETAILS_H_

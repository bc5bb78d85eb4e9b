// The supervisor: clones the sandbox, writes its id maps, forwards signals, enforces the
// timeout and collects how the run ended. Parent side.
#ifndef SANDBOX_LAUNCH_SUPERVISOR_H_
#define SANDBOX_LAUNCH_SUPERVISOR_H_

#include <sys/types.h>

#include <vector>

#include "child/plan.h"
#include "common/record.h"
#include "common/result.h"
#include "policy/policy.h"
#include "report/outcome.h"
#include "seccomp/listener.h"

namespace sandbox::launch {

/// Hooks for the parts of a run other modules care about (run state for `sandbox ps`, the
/// JSON report). Called on the supervisor's thread; they must not throw.
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  /// pid 1 exists (pid in the caller's pid namespace) and its id maps are written.
  virtual void OnStarted(pid_t /*init_pid*/, int /*pidfd*/) {}
  /// pid 1 has built the sandbox (filesystem, hostname, lo) and is about to start the job.
  virtual void OnReady() {}
  /// A --verbose step record arrived.
  virtual void OnStep(const Record& /*record*/) {}
  /// pid 1 added a Landlock rule on the object in `record` (path, device, inode).
  virtual void OnLandlockObject(const Record& /*record*/) {}
  /// pid 1 has been reaped; `outcome` is final.
  virtual void OnFinished(const report::Outcome& /*outcome*/) {}
  /// True if the observer needs the CPU time and memory of the whole sandbox, which only
  /// reaping pid 1 gives; otherwise the supervisor returns as soon as the job and every process
  /// left behind are dead, without waiting for the kernel to tear the namespaces down.
  virtual bool WantsUsage() const { return false; }
};

/// Passes each hook on to several observers, in order.
class ObserverList : public RunObserver {
 public:
  void Add(RunObserver* observer) {
    if (observer != nullptr) observers_.push_back(observer);
  }
  void OnStarted(pid_t init_pid, int pidfd) override {
    for (RunObserver* o : observers_) o->OnStarted(init_pid, pidfd);
  }
  void OnReady() override {
    for (RunObserver* o : observers_) o->OnReady();
  }
  void OnStep(const Record& record) override {
    for (RunObserver* o : observers_) o->OnStep(record);
  }
  void OnLandlockObject(const Record& record) override {
    for (RunObserver* o : observers_) o->OnLandlockObject(record);
  }
  void OnFinished(const report::Outcome& outcome) override {
    for (RunObserver* o : observers_) o->OnFinished(outcome);
  }
  bool WantsUsage() const override {
    for (RunObserver* o : observers_) {
      if (o->WantsUsage()) return true;
    }
    return false;
  }

 private:
  std::vector<RunObserver*> observers_;
};

/// Copies the listener's denials into the outcome, for the report and the denial lines.
void AddDenials(const seccomp::Listener& listener, report::Outcome* outcome);

/// Runs the plan to completion. An Error means the sandbox could not even be started (clone
/// or id maps failed); everything after that is an Outcome.
Result<report::Outcome> RunSupervised(const policy::Policy& policy, child::ChildPlan& plan,
                                      RunObserver* observer = nullptr);

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_SUPERVISOR_H_

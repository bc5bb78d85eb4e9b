// JobStack: the stack pid 1 starts the job on. The job shares pid 1's memory until its execve
// (clone with CLONE_VM | CLONE_VFORK, as posix_spawn does), so pid 1's page tables are not
// copied, neither process takes copy-on-write faults, and the job's execve has no copy of the
// address space to tear down. Mapped by the supervisor before clone(), with a guard page below
// it so an overflow faults instead of writing into pid 1's memory.
#ifndef SANDBOX_CHILD_JOB_STACK_H_
#define SANDBOX_CHILD_JOB_STACK_H_

#include <cstddef>

namespace sandbox::child {

class JobStack {
 public:
  JobStack() = default;
  ~JobStack();
  JobStack(const JobStack&) = delete;
  JobStack& operator=(const JobStack&) = delete;

  /// Maps size bytes (plus the guard page). False with errno set on failure.
  bool Allocate(size_t size) noexcept;

  /// The initial stack pointer (stacks grow down on every architecture we build for), or
  /// null when nothing is mapped.
  void* top() const noexcept;

  /// Usable bytes below top(); the page under them is the guard.
  size_t size() const noexcept;

 private:
  void* base_ = nullptr;
  size_t length_ = 0;  // guard page included
};

}  // namespace sandbox::child

#endif  // SANDBOX_CHILD_JOB_STACK_H_

#include "child/job_stack.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace sandbox::child {
namespace {

TEST(JobStackTest, NothingMappedUntilAllocated) {
  JobStack stack;
  EXPECT_EQ(stack.top(), nullptr);
  EXPECT_EQ(stack.size(), 0u);
}

TEST(JobStackTest, UsableDownToItsSizeWithAGuardPageBelow) {
  JobStack stack;
  ASSERT_TRUE(stack.Allocate(64 * 1024));
  ASSERT_NE(stack.top(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(stack.top()) % 16, 0u);  // the ABI's stack alignment
  EXPECT_GE(stack.size(), 64u * 1024);
  volatile char* top = static_cast<char*>(stack.top());
  top[-1] = 1;
  top[-static_cast<ptrdiff_t>(stack.size())] = 2;
  EXPECT_EQ(top[-1], 1);
  // One byte further is the guard: an overflowing job faults instead of writing into pid 1.
  EXPECT_DEATH(top[-static_cast<ptrdiff_t>(stack.size()) - 1] = 3, "");
}

}  // namespace
}  // namespace sandbox::child

#include "child/job_stack.h"

#include <sys/mman.h>
#include <unistd.h>

namespace sandbox::child {

JobStack::~JobStack() {
  if (base_ != nullptr) ::munmap(base_, length_);
}

bool JobStack::Allocate(size_t size) noexcept {
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t length = (size + page - 1) / page * page + page;
  // Untouched pages cost nothing: only what the job's setup uses is ever faulted in.
  void* base = ::mmap(nullptr, length, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return false;
  if (::mprotect(base, page, PROT_NONE) != 0) {
    ::munmap(base, length);
    return false;
  }
  if (base_ != nullptr) ::munmap(base_, length_);
  base_ = base;
  length_ = length;
  return true;
}

void* JobStack::top() const noexcept {
  return base_ == nullptr ? nullptr : static_cast<char*>(base_) + length_;
}

size_t JobStack::size() const noexcept {
  return base_ == nullptr ? 0 : length_ - static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace sandbox::child

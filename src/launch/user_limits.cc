#include "launch/user_limits.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace sandbox::launch {
namespace {

// Objects any job makes freely (every file watcher, `tail -f`, build tools' watch modes).
constexpr const char* kObjectCounters[] = {"max_fanotify_groups", "max_fanotify_marks",
                                           "max_inotify_instances", "max_inotify_watches"};
constexpr const char* kNamespaceCounters[] = {
    "max_cgroup_namespaces", "max_ipc_namespaces",  "max_mnt_namespaces",  "max_net_namespaces",
    "max_pid_namespaces",    "max_time_namespaces", "max_user_namespaces", "max_uts_namespaces"};

// One counter; ENOENT: this kernel does not have it.
Result<uint64_t> ReadCounter(int dir, const char* name) {
  int fd = ::openat(dir, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError(std::string("cannot read /proc/sys/user/") + name, errno);
  char text[32] = {};
  ssize_t n = ::read(fd, text, sizeof(text) - 1);
  int err = errno;
  ::close(fd);
  char* end = nullptr;
  unsigned long long value = n > 0 ? std::strtoull(text, &end, 10) : 0;
  if (n <= 0 || end == text) {
    return MakeError(std::string("cannot read /proc/sys/user/") + name, n < 0 ? err : EINVAL);
  }
  return value;
}

}  // namespace

uint64_t JobShareOf(uint64_t caller_limit) { return caller_limit / 2; }

bool JobMayCreateNamespaces(const seccomp::Settings* seccomp) {
  if (seccomp == nullptr || seccomp->action == seccomp::Action::kLog) return true;
  return std::any_of(seccomp->allow.begin(), seccomp->allow.end(), [](const std::string& name) {
    return name == "unshare" || name == "clone" || name == "clone3" || name == "setns";
  });
}

Result<std::vector<UserLimit>> ReadUserLimits(bool namespaces, const std::string& dir) {
  int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return MakeError("cannot read " + dir, errno);
  std::vector<UserLimit> limits;
  auto add = [&](const char* name) -> Result<void> {
    auto value = ReadCounter(fd, name);
    if (!value) return value.error().errno_value == ENOENT ? Result<void>{} : value.error();
    limits.push_back({name, JobShareOf(*value)});
    return {};
  };
  Result<void> status;
  for (const char* name : kObjectCounters) {
    if (status) status = add(name);
  }
  for (const char* name : kNamespaceCounters) {
    if (status && namespaces) status = add(name);
  }
  ::close(fd);
  if (!status) return status.error();
  return limits;
}

bool CallersProcSysUserWritable(const std::string& dir) {
  struct statvfs fs = {};
  return ::statvfs(dir.c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY) == 0;
}

}  // namespace sandbox::launch

#include "policy/host_probes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace sandbox::policy {

bool UserNamespacesWork() {
  uid_t uid = ::getuid();
  pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    // Only async-signal-safe calls: the caller may have threads.
    if (::unshare(CLONE_NEWUSER) != 0) ::_exit(1);
    char map[64];
    int n = std::snprintf(map, sizeof(map), "0 %u 1\n", uid);
    int fd = ::open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, map, static_cast<size_t>(n)) != n) ::_exit(2);
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

uint64_t CountUserProcesses(uid_t uid) {
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return 0;
  uint64_t count = 0;
  while (struct dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    std::string path = std::string("/proc/") + entry->d_name + "/status";
    FILE* f = std::fopen(path.c_str(), "re");
    if (f == nullptr) continue;
    char line[256];
    while (std::fgets(line, sizeof(line), f) != nullptr) {
      unsigned real = 0;
      if (std::sscanf(line, "Uid: %u", &real) == 1) {
        if (real == uid) ++count;
        break;
      }
    }
    std::fclose(f);
  }
  ::closedir(dir);
  return count;
}

}  // namespace sandbox::policy

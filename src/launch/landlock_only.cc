#include "launch/landlock_only.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "common/landlock_abi.h"

namespace sandbox::launch {
namespace {

// Our children now, from /proc/self/task/*/children (each thread's own list); by each
// process's parent in /proc/PID/stat where the kernel lacks those files.
std::vector<pid_t> ListChildren() {
  std::vector<pid_t> children;
  bool listed = false;
  if (DIR* tasks = ::opendir("/proc/self/task")) {
    while (struct dirent* task = ::readdir(tasks)) {
      if (task->d_name[0] == '.') continue;
      std::string path = std::string("/proc/self/task/") + task->d_name + "/children";
      FILE* f = std::fopen(path.c_str(), "re");
      if (f == nullptr) continue;
      listed = true;
      int pid = 0;
      while (std::fscanf(f, "%d", &pid) == 1) children.push_back(pid);
      std::fclose(f);
    }
    ::closedir(tasks);
  }
  if (listed) return children;
  pid_t self = ::getpid();
  if (DIR* proc = ::opendir("/proc")) {
    while (struct dirent* entry = ::readdir(proc)) {
      if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
      std::string path = std::string("/proc/") + entry->d_name + "/stat";
      FILE* f = std::fopen(path.c_str(), "re");
      if (f == nullptr) continue;
      char line[512];
      size_t n = std::fread(line, 1, sizeof(line) - 1, f);
      std::fclose(f);
      line[n] = '\0';
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so from the last ')'.
      const char* close = std::strrchr(line, ')');
      int ppid = 0;
      char state = 0;
      if (close != nullptr && std::sscanf(close + 1, " %c %d", &state, &ppid) == 2 &&
          ppid == self) {
        children.push_back(static_cast<pid_t>(std::atoi(entry->d_name)));
      }
    }
    ::closedir(proc);
  }
  return children;
}

int RemoveEntry(const char* path, const struct stat*, int type, struct FTW*) {
  if (type == FTW_DP) {
    (void)::rmdir(path);
  } else {
    (void)::unlink(path);
  }
  return 0;
}

}  // namespace

Result<std::string> MakePrivateTmp() {
  std::string base = "/tmp";
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR");
      runtime != nullptr && runtime[0] == '/') {
    struct stat st;
    if (::stat(runtime, &st) == 0 && S_ISDIR(st.st_mode) && ::access(runtime, W_OK) == 0) {
      base = runtime;
    }
  }
  std::string path = base + "/sandbox-tmp-XXXXXX";
  if (::mkdtemp(path.data()) == nullptr) {
    Error e = MakeError("cannot make the job's private TMPDIR under " + base, errno);
    e.path = base;
    return e;
  }
  return path;
}

void UsePrivateTmp(const std::string& dir, child::ChildPlan* plan) {
  std::vector<char*>& envp = plan->envp;
  if (!envp.empty() && envp.back() == nullptr) envp.pop_back();
  for (auto it = envp.begin(); it != envp.end();) {
    std::string_view entry(*it);
    if (entry.starts_with("TMPDIR=") || entry.starts_with("TMP=") || entry.starts_with("TEMP=")) {
      it = envp.erase(it);
    } else if (size_t eq = entry.find('=');
               eq != std::string_view::npos &&
               (entry.substr(eq + 1) == "/tmp" || entry.substr(eq + 1).starts_with("/tmp/"))) {
      // HOME=/tmp, XDG_CACHE_HOME=/tmp/.cache, CCACHE_DIR=...: the profile's /tmp is this
      // directory here, and the caches beneath it live there (workspace/caches.h).
      std::string moved(entry.substr(0, eq + 1));
      moved += dir;
      moved += entry.substr(eq + 1 + 4);
      *it = const_cast<char*>(plan->Intern(moved));
      ++it;
    } else {
      ++it;
    }
  }
  for (const char* name : {"TMPDIR=", "TMP=", "TEMP="}) {
    envp.push_back(const_cast<char*>(plan->Intern(name + dir)));
  }
  envp.push_back(nullptr);
  plan->landlock_rules.push_back({plan->Intern(dir), landlock::kWrite, false, false, 0, 0});
}

void RemovePrivateTmp(const std::string& dir) {
  if (dir.empty()) return;
  (void)::nftw(dir.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

int KillRemainingChildren() {
  int killed = 0;
  for (;;) {
    std::vector<pid_t> children = ListChildren();
    if (children.empty()) return killed;
    // Stopped first: a fork bomb's processes cannot fork while the rest are being killed. Their
    // children made meanwhile are reparented to us and found on the next round.
    for (pid_t pid : children) ::kill(pid, SIGSTOP);
    for (pid_t pid : children) ::kill(pid, SIGKILL);
    for (pid_t pid : children) {
      while (::waitpid(pid, nullptr, __WALL) < 0 && errno == EINTR) {
      }
      ++killed;
    }
  }
}

}  // namespace sandbox::launch

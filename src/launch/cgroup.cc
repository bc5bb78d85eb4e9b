#include "launch/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace sandbox::launch {
namespace {

// O_TRUNC is what `echo > file` does on cgroupfs too; it also makes fake cgroups in tests
// behave like the kernel's single-value files.
Result<void> WriteFile(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return MakeError("cannot open " + path, errno);
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return MakeError("cannot write \"" + text + "\" to " + path, n < 0 ? err : EIO);
  }
  return {};
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// cgroups(7), "no internal processes": a cgroup that hands controllers to its children may hold
// no processes itself. `systemd-run --user --scope -p Delegate=yes sandbox ...` starts us in
// exactly such a delegated cgroup, so the supervisor first moves into a leaf of its own,
// <base>/supervisor-<pid>. Other processes sharing `base` cannot be moved by us: then enabling
// controllers fails with EBUSY and the run refuses.
Result<void> MoveSupervisorIntoLeaf(const std::string& base, pid_t supervisor);

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

bool Contains(const std::vector<std::string>& words, std::string_view word) {
  for (const auto& w : words) {
    if (w == word) return true;
  }
  return false;
}

}  // namespace

Result<std::string> FindOwnCgroup(std::string_view proc_self_cgroup, std::string_view mountinfo) {
  std::string relative;
  bool found = false;
  std::istringstream cgroups{std::string(proc_self_cgroup)};
  for (std::string line; std::getline(cgroups, line);) {
    if (line.rfind("0::", 0) == 0) {
      relative = line.substr(3);
      found = true;
    }
  }
  if (!found) {
    Error e = MakeError("this process is not in a cgroup v2 hierarchy");
    e.hint = kCgroupDelegationHint;
    return e;
  }
  // mountinfo: id parent major:minor root mount-point options... - fstype source super-options
  std::istringstream mounts{std::string(mountinfo)};
  for (std::string line; std::getline(mounts, line);) {
    std::vector<std::string> fields = Words(line);
    size_t dash = 0;
    while (dash < fields.size() && fields[dash] != "-") ++dash;
    if (dash + 1 >= fields.size() || fields[dash + 1] != "cgroup2" || fields.size() < 5) continue;
    std::string mount_point = fields[4];
    if (relative == "/") return mount_point;
    return mount_point + relative;
  }
  Error e = MakeError("no cgroup2 filesystem is mounted");
  e.hint = kCgroupDelegationHint;
  return e;
}

Result<std::string> CgroupOfProcess(pid_t pid) {
  auto cgroup = ReadFile("/proc/" + std::to_string(pid) + "/cgroup");
  if (!cgroup) return MakeError("cannot read the cgroup of pid " + std::to_string(pid), errno);
  auto mountinfo = ReadFile("/proc/self/mountinfo");
  if (!mountinfo) return MakeError("cannot read /proc/self/mountinfo", errno);
  return FindOwnCgroup(*cgroup, *mountinfo);
}

namespace {

Result<void> MoveSupervisorIntoLeaf(const std::string& base, pid_t supervisor) {
  // Leaves of supervisors that are gone (their cgroup.procs is empty) are removed on the way;
  // a supervisor cannot remove its own leaf, since it is still in it when it exits.
  if (DIR* dir = ::opendir(base.c_str())) {
    while (struct dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name.rfind("supervisor-", 0) != 0) continue;
      auto procs = ReadFile(base + "/" + name + "/cgroup.procs");
      if (procs && Words(*procs).empty()) (void)::rmdir((base + "/" + name).c_str());
    }
    ::closedir(dir);
  }
  std::string leaf = base + "/supervisor-" + std::to_string(supervisor);
  if (::mkdir(leaf.c_str(), 0755) != 0 && errno != EEXIST) {
    return MakeError("cannot create " + leaf, errno);
  }
  if (auto r = WriteFile(leaf + "/cgroup.procs", std::to_string(supervisor)); !r) {
    return MakeError("cannot move the supervisor into " + leaf, r.error().errno_value);
  }
  return {};
}

}  // namespace

Result<RunCgroup> RunCgroup::Create(const std::string& base, const CgroupLimits& limits,
                                    pid_t supervisor) {
  auto refuse = [&](std::string what, int err) {
    Error e = MakeError(std::move(what), err);
    e.hint = kCgroupDelegationHint;
    return e;
  };
  if (::access(base.c_str(), W_OK) != 0) {
    return refuse("cannot create cgroups under " + base, errno);
  }
  std::vector<std::string> wanted;
  if (limits.memory_max) wanted.push_back("memory");
  if (limits.pids_max) wanted.push_back("pids");
  if (limits.cpu_quota_us) wanted.push_back("cpu");
  auto available = ReadFile(base + "/cgroup.controllers");
  if (!available) return refuse("cannot read " + base + "/cgroup.controllers", errno);
  std::vector<std::string> have = Words(*available);
  auto enabled = ReadFile(base + "/cgroup.subtree_control");
  std::vector<std::string> on = enabled ? Words(*enabled) : std::vector<std::string>{};
  for (const std::string& controller : wanted) {
    if (!Contains(have, controller)) {
      return refuse("the " + controller + " controller is not delegated to " + base, 0);
    }
    if (!Contains(on, controller)) {
      auto procs = ReadFile(base + "/cgroup.procs");
      if (procs && Contains(Words(*procs), std::to_string(supervisor))) {
        if (auto r = MoveSupervisorIntoLeaf(base, supervisor); !r)
          return refuse(r.error().message, r.error().errno_value);
      }
      if (auto r = WriteFile(base + "/cgroup.subtree_control", "+" + controller); !r) {
        int err = r.error().errno_value;
        Error e = refuse("cannot enable the " + controller + " controller in " + base, err);
        if (err == EBUSY) {
          e.hint =
              "other processes share that cgroup; start the sandbox in a cgroup of its own: "
              "systemd-run --user --scope -p Delegate=yes sandbox ...";
        }
        return e;
      }
    }
  }

  RunCgroup run;
  run.path_ = base + "/sandbox-" + std::to_string(supervisor);
  if (::mkdir(run.path_.c_str(), 0755) != 0) {
    // Left behind by a supervisor with our pid that was SIGKILLed: reuse it if it is empty.
    auto procs = ReadFile(run.path_ + "/cgroup.procs");
    if (errno != EEXIST && !procs) return refuse("cannot create " + run.path_, errno);
    if (!procs || !Words(*procs).empty()) return refuse("cannot create " + run.path_, EEXIST);
  }
  run.dir_.Reset(::open(run.path_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!run.dir_) return refuse("cannot open " + run.path_, errno);
  if (limits.memory_max) {
    if (auto r = WriteFile(run.path_ + "/memory.max", std::to_string(*limits.memory_max)); !r) {
      return r.error();
    }
    // Without this, the job could swap its way past memory.max.
    (void)WriteFile(run.path_ + "/memory.swap.max", "0");
  }
  if (limits.pids_max) {
    if (auto r = WriteFile(run.path_ + "/pids.max", std::to_string(*limits.pids_max)); !r) {
      return r.error();
    }
  }
  if (limits.cpu_quota_us) {
    if (auto r =
            WriteFile(run.path_ + "/cpu.max", std::to_string(*limits.cpu_quota_us) + " 100000");
        !r) {
      return r.error();
    }
  }
  return run;
}

CgroupUsage RunCgroup::Finish() {
  CgroupUsage usage;
  if (finished_ || path_.empty()) return usage;
  finished_ = true;
  // cgroup.kill (Linux ≥ 5.14) SIGKILLs every process in the tree at once, so nothing that
  // escaped the pid namespace's teardown survives.
  (void)WriteFile(path_ + "/cgroup.kill", "1");
  if (auto peak = ReadFile(path_ + "/memory.peak")) {
    try {
      usage.memory_peak = std::stoull(*peak);
    } catch (...) {
    }
  }
  if (auto events = ReadFile(path_ + "/memory.events")) {
    std::vector<std::string> words = Words(*events);
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      if (words[i] == "oom_kill") {
        try {
          usage.oom_kills = std::stoull(words[i + 1]);
        } catch (...) {
        }
      }
    }
  }
  dir_.Reset();
  // rmdir fails with EBUSY until the killed processes are gone; they go quickly.
  for (int i = 0; i < 100 && ::rmdir(path_.c_str()) != 0 && errno == EBUSY; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return usage;
}

RunCgroup::~RunCgroup() { Finish(); }

}  // namespace sandbox::launch

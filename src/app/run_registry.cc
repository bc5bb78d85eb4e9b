#include "app/run_registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace sandbox::app {
namespace {

std::optional<std::string> ReadSmall(const std::string& path, bool no_follow) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (no_follow ? O_NOFOLLOW : 0));
  if (fd < 0) return std::nullopt;
  std::string text;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return text;
}

Result<void> CheckPrivateDir(const std::string& dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) return MakeError("cannot use " + dir, errno);
  Error e = MakeError("refusing the run directory " + dir);
  if (!S_ISDIR(st.st_mode)) {
    e.message += ": not a directory (a symlink?)";
  } else if (st.st_uid != ::getuid()) {
    e.message += ": owned by uid " + std::to_string(st.st_uid) + ", not by you";
  } else if ((st.st_mode & 077) != 0) {
    e.message += ": open to other users (mode " + std::to_string(st.st_mode & 0777) + ")";
  } else {
    return {};
  }
  e.hint = "remove it, or set XDG_RUNTIME_DIR to a directory of your own";
  return e;
}

}  // namespace

bool IsSameProcess(pid_t pid, uint64_t start) {
  return pid > 0 && start != 0 && launch::ProcessStartTime(pid) == start;
}

Result<void> CheckRunName(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-');
  }
  if (ok) return {};
  Error e = MakeError("run name \"" + name + "\" is not valid");
  e.hint = "use 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit";
  return e;
}

std::string GenerateRunName() {
  unsigned char bytes[3] = {};
  if (::getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes)) {
    unsigned value = static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(std::time(nullptr));
    std::memcpy(bytes, &value, sizeof(bytes));
  }
  char text[8];
  std::snprintf(text, sizeof(text), "%02x%02x%02x", bytes[0], bytes[1], bytes[2]);
  return text;
}

Result<RunRegistry> RunRegistry::Open() {
  std::string dir;
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime != nullptr && runtime[0] == '/') {
    dir = std::string(runtime) + "/sandbox";
  } else {
    dir = "/tmp/sandbox-" + std::to_string(::getuid());
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return MakeError("cannot create the run directory " + dir, errno);
  }
  return OpenAt(dir);
}

Result<RunRegistry> RunRegistry::OpenAt(const std::string& dir) {
  if (auto r = CheckPrivateDir(dir); !r) return r.error();
  return RunRegistry(dir);
}

Result<void> RunRegistry::Write(const launch::RunState& state) const {
  std::string path = EntryPath(state.name);
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return MakeError("cannot write " + tmp, errno);
  std::string text = launch::SerializeRunState(state);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return MakeError("cannot write " + path, err);
  }
  return {};
}

void RunRegistry::Remove(const std::string& name) const { ::unlink(EntryPath(name).c_str()); }

std::vector<launch::RunState> RunRegistry::LiveRuns() const {
  std::vector<launch::RunState> runs;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return runs;
  while (struct dirent* entry = ::readdir(d)) {
    std::string file = entry->d_name;
    if (file.size() <= 4 || file.compare(file.size() - 4, 4, ".run") != 0) continue;
    auto run = Find(file.substr(0, file.size() - 4));
    if (run) runs.push_back(std::move(run).value());
  }
  ::closedir(d);
  std::sort(runs.begin(), runs.end(),
            [](const auto& a, const auto& b) { return a.created < b.created; });
  return runs;
}

Result<launch::RunState> RunRegistry::Find(const std::string& name) const {
  if (auto r = CheckRunName(name); !r) return r.error();
  std::string path = EntryPath(name);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    Error e = MakeError("no live run named \"" + name + "\"");
    e.hint = "sandbox ps lists yours";
    return e;
  }
  if (st.st_uid != ::getuid()) {
    return MakeError("run \"" + name + "\" belongs to uid " + std::to_string(st.st_uid) +
                     "; only the user who started a run may list, enter or stop it");
  }
  auto text = ReadSmall(path, true);
  auto state = text ? launch::ParseRunState(*text) : Result<launch::RunState>(MakeError(""));
  if (!state || !IsSameProcess(state->supervisor_pid, state->supervisor_start) ||
      !IsSameProcess(state->init_pid, state->init_start)) {
    Remove(name);  // the supervisor is gone (killed with SIGKILL): a stale entry
    Error e = MakeError("no live run named \"" + name + "\" (its entry was stale and is removed)");
    e.hint = "sandbox ps lists yours";
    return e;
  }
  return state;
}

RegistryObserver::~RegistryObserver() {
  if (written_) registry_.Remove(state_.name);
}

void RegistryObserver::OnStarted(pid_t init_pid, int /*pidfd*/) {
  state_.supervisor_pid = ::getpid();
  state_.supervisor_start = launch::ProcessStartTime(state_.supervisor_pid);
  state_.init_pid = init_pid;
  state_.init_start = launch::ProcessStartTime(init_pid);
  state_.created = static_cast<int64_t>(std::time(nullptr));
  if (auto r = registry_.Write(state_); !r) {
    std::fprintf(stderr, "sandbox: %s (the run goes on; ps and enter will not see it)\n",
                 r.error().ToString().c_str());
    return;
  }
  written_ = true;
}

void RegistryObserver::OnFinished(const report::Outcome& /*outcome*/) {
  if (written_) registry_.Remove(state_.name);
  written_ = false;
}

}  // namespace sandbox::app

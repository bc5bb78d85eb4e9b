#include "app/run_registry.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <sstream>
#include <string_view>

#include "common/read_text.h"

namespace sandbox::app {
namespace {

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
  // In a sticky /dev/shm or /tmp only its owner (or root) can remove another user's file.
  e.hint = st.st_uid != ::getuid()
               ? "its owner or root can remove it; or set XDG_RUNTIME_DIR to a directory of "
                 "your own"
               : "remove it, or set XDG_RUNTIME_DIR to a directory of your own";
  return e;
}

// Creates `dir` (mode 0700) unless it exists, then checks it as CheckPrivateDir does.
Result<void> MakePrivateDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return MakeError("cannot create the run directory " + dir, errno);
  }
  return CheckPrivateDir(dir);
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

std::string FallbackRunDirectoryName(uid_t uid, std::optional<ino_t> user_namespace,
                                     std::optional<uid_t> outside_uid) {
  std::string name = "sandbox-" + std::to_string(uid);
  if (user_namespace && *user_namespace != kInitialUserNamespaceInode) {
    name += "-userns-" + std::to_string(*user_namespace);
    if (outside_uid) name += "-outside-" + std::to_string(*outside_uid);
  }
  return name;
}

RunDirectory DefaultRunDirectory() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime != nullptr && runtime[0] == '/') return {std::string(runtime) + "/sandbox"};
  // Inside another user namespace (unshare -r, a sandbox sharing the host's /dev), uid N is
  // not the host's uid N: a nested run as uid 0 would create /dev/shm/sandbox-0, the host
  // root's directory, owned by whoever started the outer namespace, and root's runs would
  // refuse it from then on. Runs there get a directory named after their namespace and who
  // they are outside it, removed with the namespace's last run: a namespace never comes back,
  // so its directory would only pile up, and its inode number goes to a later namespace.
  std::optional<ino_t> user_namespace = OwnUserNamespace();
  std::optional<uid_t> outside_uid;
  if (user_namespace) outside_uid = OutsideUid(::getuid(), ReadOwnUidMap());
  std::string name = FallbackRunDirectoryName(::getuid(), user_namespace, outside_uid);
  // Runtime state belongs on a tmpfs: every run writes its entry and removes it on the way
  // out, and on a journalled /tmp (ext4 here) that costs about 0.3 ms per run, the removal on
  // the exit path, against 0.03 ms on tmpfs. /dev/shm is the tmpfs every Linux has.
  struct statfs fs;
  bool shm = ::statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC;
  return {(shm ? "/dev/shm/" : "/tmp/") + name, user_namespace.has_value()};
}

Result<RunRegistry> RunRegistry::Open() {
  RunDirectory dir = DefaultRunDirectory();
  if (auto r = MakePrivateDir(dir.path); !r) return r.error();
  return RunRegistry(std::move(dir));
}

Result<RunRegistry> RunRegistry::OpenToRead() {
  RunDirectory dir = DefaultRunDirectory();
  if (auto r = CheckPrivateDir(dir.path); !r && r.error().errno_value != ENOENT) return r.error();
  return RunRegistry(std::move(dir));
}

Result<RunRegistry> RunRegistry::OpenAt(RunDirectory dir) {
  if (auto r = CheckPrivateDir(dir.path); !r) return r.error();
  return RunRegistry(std::move(dir));
}

namespace {

// The claim's text: "starting PID START".
constexpr std::string_view kClaimWord = "starting";

std::string ClaimText(pid_t supervisor, uint64_t start) {
  return std::string(kClaimWord) + " " + std::to_string(supervisor) + " " + std::to_string(start);
}

bool ParseClaim(std::string_view text, pid_t* supervisor, uint64_t* start) {
  std::istringstream in{std::string(text)};
  std::string word;
  return (in >> word >> *supervisor >> *start) && word == kClaimWord && in.eof();
}

}  // namespace

Result<void> RunRegistry::Reserve(const std::string& name, pid_t supervisor,
                                  uint64_t supervisor_start) const {
  std::string path = EntryPath(name);
  std::string claim = ClaimText(supervisor, supervisor_start);
  // Two tries: the first may meet a stale entry, which Look removes; and a directory removed
  // since Open by the last run of its namespace, leaving, is made again (a few times: runs
  // may come and go meanwhile).
  for (int stale = 0, gone = 0; stale < 2;) {
    if (::symlink(claim.c_str(), path.c_str()) == 0) return {};
    if (errno == ENOENT && dir_.removed_when_empty && gone++ < 4) {
      if (auto r = MakePrivateDir(dir_.path); !r) return r.error();
      continue;
    }
    if (errno != EEXIST) return MakeError("cannot create " + path, errno);
    Status status = Look(name).status;
    if (status != Status::kStale && status != Status::kAbsent) break;
    ++stale;
  }
  Error e = MakeError("a run named \"" + name + "\" is already live");
  e.hint = "pick another --name, or stop it: sandbox stop " + name;
  return e;
}

Result<void> RunRegistry::Write(const launch::RunState& state) const {
  std::string path = EntryPath(state.name);
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return MakeError("cannot write " + tmp, errno);
  std::string text = launch::SerializeRunState(state);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int err = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (ok) err = errno;
    ::unlink(tmp.c_str());
    return MakeError("cannot write " + path, err);
  }
  return {};
}

void RunRegistry::Remove(const std::string& name) const {
  ::unlink(EntryPath(name).c_str());
  // Fails (ENOTEMPTY) while another run of the namespace is registered.
  if (dir_.removed_when_empty) ::rmdir(dir_.path.c_str());
}

RunRegistry::Lookup RunRegistry::Look(const std::string& name) const {
  Lookup found;
  std::string path = EntryPath(name);
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
    return found;
  }
  found.owner = st.st_uid;
  if (st.st_uid != ::getuid()) {
    found.status = Status::kForeign;
    return found;
  }
  // The claim (a symlink, never followed) names only the supervisor; the entry says it all.
  Result<launch::RunState> state = MakeError("unreadable");
  struct stat read_st = st;
  if (S_ISLNK(st.st_mode)) {
    char text[128];
    ssize_t n = ::readlink(path.c_str(), text, sizeof(text) - 1);
    if (n < 0) return found;  // removed meanwhile
    launch::RunState claim;
    if (ParseClaim(std::string_view(text, static_cast<size_t>(n)), &claim.supervisor_pid,
                   &claim.supervisor_start)) {
      claim.name = name;
      state = std::move(claim);
    }
  } else {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || ::fstat(fd, &read_st) != 0) {
      if (fd >= 0) ::close(fd);
      return found;  // replaced or removed meanwhile
    }
    state = launch::ParseRunState(ReadAll(fd));
    ::close(fd);
  }
  if (!state || !IsSameProcess(state->supervisor_pid, state->supervisor_start)) {
    // The supervisor is gone (killed with SIGKILL): nobody else will remove the entry. Only
    // the file just read goes: a run that claimed the name since has a new one there.
    struct stat now;
    if (::lstat(path.c_str(), &now) == 0 && now.st_ino == read_st.st_ino &&
        now.st_dev == read_st.st_dev) {
      ::unlink(path.c_str());
    }
    found.status = Status::kStale;
    return found;
  }
  found.state = std::move(state).value();
  if (S_ISLNK(st.st_mode)) {
    found.status = Status::kStarting;
  } else if (!IsSameProcess(found.state.init_pid, found.state.init_start)) {
    found.status = Status::kEnding;  // its supervisor is about to remove the entry
  } else {
    found.status = Status::kLive;
  }
  return found;
}

std::vector<launch::RunState> RunRegistry::LiveRuns() const {
  std::vector<launch::RunState> runs;
  DIR* d = ::opendir(dir_.path.c_str());
  if (d == nullptr) return runs;
  while (struct dirent* entry = ::readdir(d)) {
    std::string file = entry->d_name;
    if (file.size() <= 4 || file.compare(file.size() - 4, 4, ".run") != 0) continue;
    std::string name = file.substr(0, file.size() - 4);
    if (!CheckRunName(name)) continue;
    Lookup found = Look(name);
    if (found.status == Status::kLive) runs.push_back(std::move(found.state));
  }
  ::closedir(d);
  std::sort(runs.begin(), runs.end(),
            [](const auto& a, const auto& b) { return a.created < b.created; });
  return runs;
}

Result<launch::RunState> RunRegistry::Find(const std::string& name) const {
  if (auto r = CheckRunName(name); !r) return r.error();
  Lookup found = Look(name);
  Error e = MakeError("");
  switch (found.status) {
    case Status::kLive:
      return std::move(found.state);
    case Status::kAbsent:
      e.message = "no live run named \"" + name + "\"";
      e.hint = "sandbox ps lists yours";
      return e;
    case Status::kForeign:
      return MakeError("run \"" + name + "\" belongs to uid " + std::to_string(found.owner) +
                       "; only the user who started a run may list, enter or stop it");
    case Status::kStale:
      e.message = "no live run named \"" + name + "\" (its entry was stale and is removed)";
      e.hint = "sandbox ps lists yours";
      return e;
    case Status::kStarting:
      e.message = "run \"" + name + "\" is still starting";
      e.hint = "try again in a moment";
      return e;
    case Status::kEnding:
      return MakeError("run \"" + name + "\" has ended");
  }
  return e;
}

RegistryObserver::~RegistryObserver() {
  if (written_) registry_.Remove(state_.name);
}

void RegistryObserver::OnStarted(pid_t init_pid, int /*pidfd*/) {
  state_.init_pid = init_pid;
  state_.init_start = launch::ProcessStartTime(init_pid);
  state_.created = static_cast<int64_t>(std::time(nullptr));
}

// Only a built sandbox is listed and may be entered: until pid 1 says so, the entry is the
// claim (no init), which ps skips and enter refuses as still starting.
void RegistryObserver::OnReady() {
  if (!written_ || state_.init_pid == 0) return;
  state_.landlock_objects_known = true;
  if (auto r = registry_.Write(state_); !r) {
    std::fprintf(stderr, "sandbox: %s (the run goes on; ps and enter will not see it)\n",
                 r.error().ToString().c_str());
  }
}

// pid 1's records arrive in order before kSandboxReady, so the entry written at ready has them
// all. Paths are matched without their leading slashes (pid 1 names steps relative to the root).
void RegistryObserver::OnLandlockObject(const Record& record) {
  std::string_view path(record.path);
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  for (auto& rule : state_.landlock_rules) {
    std::string_view own(rule.path);
    while (!own.empty() && own.front() == '/') own.remove_prefix(1);
    if (own != path) continue;
    rule.recorded = true;
    rule.device = record.device;
    rule.inode = record.inode;
  }
}

void RegistryObserver::OnFinished(const report::Outcome& /*outcome*/) {
  if (written_) registry_.Remove(state_.name);
  written_ = false;
}

}  // namespace sandbox::app

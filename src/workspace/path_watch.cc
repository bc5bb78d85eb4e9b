#include "workspace/path_watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "common/canonical_path.h"
#include "common/syscalls.h"
#include "common/unique_fd.h"
#include "workspace/root.h"

namespace sandbox::workspace {
namespace {

// `path` (absolute) with its existing part resolved: what the shell's lookup reaches now, and
// for an absent directory where the job would have to create it.
std::string CanonicalAsFarAsExists(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (std::string real = CanonicalPath(p); !real.empty()) return real;
  size_t slash = p.rfind('/');
  if (slash == std::string::npos || p == "/") return p;
  std::string parent = CanonicalAsFarAsExists(slash == 0 ? "/" : p.substr(0, slash));
  return (parent == "/" ? "" : parent) + p.substr(slash);
}

PathEntryState StateOf(const std::string& name, const struct stat& st) {
  PathEntryState e;
  e.name = name;
  e.dev = st.st_dev;
  e.ino = st.st_ino;
  e.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  e.size = st.st_size;
  e.mode = st.st_mode;
  return e;
}

// Every entry of the open directory `fd` (consumed), sorted by name; at most
// kMaxPathDirEntries + 1 of them (more says "too many to check").
std::vector<PathEntryState> ReadEntries(UniqueFd fd) {
  std::vector<PathEntryState> entries;
  int dup = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 0);
  if (dup < 0) return entries;
  DIR* dir = ::fdopendir(dup);
  if (dir == nullptr) {
    ::close(dup);
    return entries;
  }
  while (const struct dirent* d = ::readdir(dir)) {
    std::string name = d->d_name;
    if (name == "." || name == "..") continue;
    struct stat st {};
    if (::fstatat(fd.get(), d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    entries.push_back(StateOf(name, st));
    if (entries.size() > kMaxPathDirEntries) break;
  }
  ::closedir(dir);
  std::sort(entries.begin(), entries.end(),
            [](const PathEntryState& a, const PathEntryState& b) { return a.name < b.name; });
  return entries;
}

bool Inside(const std::vector<std::string>& dirs, const std::string& path) {
  return std::any_of(dirs.begin(), dirs.end(),
                     [&](const std::string& d) { return IsAncestorOrSelf(d, path); });
}

// What the search would take: for commands a regular file, through symlinks, with an execute
// bit (what the shell runs); for libraries a regular file named NAME.so or NAME.so.VERSION.
// In a directory the job could write (`jobs`) a symlink is never followed, so a link to a
// hung network mount cannot stall the check: it counts, as the shell would follow it.
bool Candidate(SearchKind kind, const std::string& path, bool jobs) {
  struct stat st {};
  if ((jobs ? ::lstat(path.c_str(), &st) : ::stat(path.c_str(), &st)) != 0) return false;
  if (!S_ISREG(st.st_mode) && !(jobs && S_ISLNK(st.st_mode))) return false;
  if (kind == SearchKind::kCommands) return S_ISLNK(st.st_mode) || (st.st_mode & 0111) != 0;
  size_t so = path.rfind(".so");
  if (so == std::string::npos || so <= path.rfind('/') + 1) return false;
  std::string_view version = std::string_view(path).substr(so + 3);  // "" or ".1.2.3"
  return version.empty() ||
         (version[0] == '.' && version.find_first_not_of(".0123456789") == std::string::npos);
}

std::string Join(const std::string& dir, const std::string& name) {
  return (dir == "/" ? "" : dir) + "/" + name;
}

}  // namespace

std::vector<std::string> SearchPath(const char* path, const std::string& cwd) {
  std::vector<std::string> dirs;
  if (path == nullptr) return dirs;
  std::string_view rest = path;
  while (true) {
    size_t colon = rest.find(':');
    std::string entry(rest.substr(0, colon));
    if (entry.empty() || entry[0] != '/') entry = cwd + (entry.empty() ? "" : "/" + entry);
    dirs.push_back(CanonicalAsFarAsExists(entry));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return dirs;
}

std::vector<WatchedPathDir> WatchPathDirs(const std::vector<std::string>& search_path,
                                          const std::vector<std::string>& writable_dirs,
                                          const std::vector<std::string>& read_only_dirs) {
  std::vector<WatchedPathDir> watched;
  for (size_t i = 0; i < search_path.size(); ++i) {
    const std::string& dir = search_path[i];
    if (!Inside(writable_dirs, dir) || Inside(read_only_dirs, dir)) continue;
    if (std::any_of(watched.begin(), watched.end(),
                    [&](const WatchedPathDir& w) { return w.dir == dir; })) {
      continue;  // named twice: the first position is the one that counts
    }
    WatchedPathDir w;
    w.dir = dir;
    w.position = i;
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct stat st {};
    if (fd && ::fstat(fd.get(), &st) == 0) {
      w.existed = true;
      w.dev = st.st_dev;
      w.ino = st.st_ino;
      w.entries = ReadEntries(std::move(fd));
      w.too_many = w.entries.size() > kMaxPathDirEntries;
      if (w.too_many) w.entries = {};  // never compared: not held for the run
    }
    watched.push_back(std::move(w));
  }
  return watched;
}

const char* VariableName(SearchKind kind) {
  return kind == SearchKind::kCommands ? "PATH" : "LD_LIBRARY_PATH";
}

std::vector<std::string> DefaultLibraryDirs() {
  return {"/lib/x86_64-linux-gnu",
          "/usr/lib/x86_64-linux-gnu",
          "/lib64",
          "/usr/lib64",
          "/lib",
          "/usr/lib",
          "/usr/local/lib"};
}

std::vector<PathShadow> FindPathShadows(const WatchedSearchPath& search) {
  std::vector<PathShadow> found;
  const std::vector<std::string>& search_path = search.dirs;
  std::vector<bool> jobs(search_path.size(), false);
  for (const WatchedPathDir& w : search.watched) {
    for (size_t i = 0; i < search_path.size(); ++i) jobs[i] = jobs[i] || search_path[i] == w.dir;
  }
  for (const WatchedPathDir& w : search.watched) {
    if (w.too_many) continue;  // said before the run
    // A symlink on the way now (the job replaced the directory or one above it inside the
    // bind) is named, not followed: it may lead anywhere, a hung network mount included.
    UniqueFd fd(sys::OpenAt2(AT_FDCWD, w.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                             RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
    if (!fd && errno == ELOOP) {
      found.push_back({search.kind, w.dir, "", "replaced"});
      continue;
    }
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) continue;
    // A directory the job made, or made anew, is the job's whole.
    bool replaced = !w.existed || st.st_dev != w.dev || st.st_ino != w.ino;
    std::vector<PathEntryState> entries = ReadEntries(std::move(fd));
    if (entries.size() > kMaxPathDirEntries) {
      // A job that fills the directory must not make the check unbounded: said, not checked.
      found.push_back({search.kind, w.dir, "", "unchecked"});
      continue;
    }
    for (const PathEntryState& now : entries) {
      auto before = std::lower_bound(
          w.entries.begin(), w.entries.end(), now.name,
          [](const PathEntryState& e, const std::string& name) { return e.name < name; });
      bool known = !replaced && before != w.entries.end() && before->name == now.name;
      if (known && before->dev == now.dev && before->ino == now.ino &&
          before->ctime_ns == now.ctime_ns && before->size == now.size &&
          before->mode == now.mode) {
        continue;
      }
      std::string path = Join(w.dir, now.name);
      if (!Candidate(search.kind, path, true)) continue;
      // The search takes the first entry of that name: the job's matters only when it is
      // that one and it hides another further on.
      size_t first = 0;
      while (first < search_path.size() &&
             !Candidate(search.kind, Join(search_path[first], now.name), jobs[first])) {
        ++first;
      }
      if (first != w.position) continue;
      for (size_t later = first + 1; later < search_path.size(); ++later) {
        std::string other = Join(search_path[later], now.name);
        if (search_path[later] != w.dir && Candidate(search.kind, other, jobs[later])) {
          found.push_back({search.kind, path, other, known ? "changed" : "created"});
          break;
        }
      }
    }
  }
  return found;
}

std::string Warning(const PathShadow& s) {
  std::string variable = VariableName(s.kind);
  if (s.change == "replaced") {
    return "the job replaced " + s.path + ", on your " + variable +
           ", with a symlink: what is found there is the job's choice; look before you use "
           "that " +
           variable + " again";
  }
  if (s.change == "unchecked") {
    return "the job left more than " + std::to_string(kMaxPathDirEntries) + " entries in " +
           s.path + ", on your " + variable +
           ": they were not checked; look before you use "
           "that " +
           variable + " again";
  }
  std::string name = s.path.substr(s.path.rfind('/') + 1);
  std::string effect = s.kind == SearchKind::kCommands
                           ? "`" + name + "` in your shell runs what the job wrote there"
                           : "every program started from your shell loads what the job wrote "
                             "there";
  return "the job " + s.change + " " + s.path + ", which your " + variable + " finds before " +
         s.shadows + ": " + effect + " (remove it unless the job was meant to put it there)";
}

}  // namespace sandbox::workspace

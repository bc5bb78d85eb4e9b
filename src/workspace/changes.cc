#include "workspace/changes.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>

#include "common/unique_fd.h"
#include "report/sha256.h"
#include "workspace/chunk_buffer.h"
#include "workspace/protect.h"

namespace sandbox::workspace {
namespace {

std::string TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return "file";
  if (S_ISDIR(mode)) return "dir";
  if (S_ISLNK(mode)) return "symlink";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "device";
  if (S_ISFIFO(mode)) return "fifo";
  return "socket";
}

bool IsWhiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == 0; }

// The names of a directory, read through its own descriptor (dup'ed: closedir closes it).
Result<std::vector<std::string>> Names(int dir) {
  int copy = ::fcntl(dir, F_DUPFD_CLOEXEC, 3);
  if (copy < 0) return MakeError("cannot read a directory", errno);
  std::unique_ptr<DIR, int (*)(DIR*)> stream(::fdopendir(copy), &::closedir);
  if (!stream) {
    ::close(copy);
    return MakeError("cannot read a directory", errno);
  }
  ::rewinddir(stream.get());
  std::vector<std::string> names;
  while (struct dirent* entry = ::readdir(stream.get())) {
    std::string_view name(entry->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  return names;
}

// Reads a whole file in chunks, into the hash; false on a read error.
bool HashFile(int fd, report::Sha256* hash) {
  char* buffer = ChunkBuffer();
  for (;;) {
    ssize_t n = ::read(fd, buffer, kChunkSize);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    hash->Update(buffer, static_cast<size_t>(n));
  }
}

class Walker {
 public:
  explicit Walker(const std::vector<std::string>& protect) : protect_(protect) {}

  Result<void> Dir(int upper, int lower, const std::string& prefix, bool opaque) {
    auto names = Names(upper);
    if (!names) return names.error();
    std::set<std::string> seen(names->begin(), names->end());
    for (const std::string& name : *names) {
      if (auto r = Entry(upper, lower, prefix, name); !r) return r;
    }
    // An opaque directory hides everything the checkout has below it.
    if (opaque && lower >= 0) {
      auto below = Names(lower);
      if (!below) return below.error();
      for (const std::string& name : *below) {
        if (seen.count(name) != 0) continue;
        struct stat st {};
        if (::fstatat(lower, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (auto r = Deleted(lower, prefix + name, name, st); !r) return r;
      }
    }
    return {};
  }

  std::vector<Change> Take() { return std::move(changes_); }

 private:
  Result<void> Entry(int upper, int lower, const std::string& prefix, const std::string& name) {
    std::string path = prefix + name;
    struct stat st {};
    if (::fstatat(upper, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return MakeError("cannot stat the change " + path, errno);
    }
    struct stat base {};
    bool in_lower = lower >= 0 && ::fstatat(lower, name.c_str(), &base, AT_SYMLINK_NOFOLLOW) == 0;
    if (IsWhiteout(st)) {
      if (!in_lower) return {};  // deleted what the job itself had made
      return Deleted(lower, path, name, base);
    }
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(::openat(upper, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) return MakeError("cannot open the change " + path, errno);
      char value[4] = {};
      bool opaque = ::fgetxattr(sub.get(), "user.overlay.opaque", value, sizeof(value)) > 0 &&
                    value[0] == 'y';
      UniqueFd lower_sub;
      if (in_lower && S_ISDIR(base.st_mode)) {
        lower_sub.Reset(
            ::openat(lower, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!lower_sub) return MakeError("cannot open the checkout's " + path, errno);
        if ((base.st_mode & 07777) != (st.st_mode & 07777)) {
          Add(Make("modified", path, st, &base, upper, name));
        }
      } else {
        if (in_lower) {
          if (auto r = Deleted(lower, path, name, base); !r) return r;
        }
        Add(Make("added", path, st, nullptr, upper, name));
      }
      return Dir(sub.get(), lower_sub ? lower_sub.get() : -1, path + "/", opaque);
    }
    bool same_type = in_lower && (base.st_mode & S_IFMT) == (st.st_mode & S_IFMT);
    if (in_lower && !same_type && S_ISDIR(base.st_mode)) {
      if (auto r = Deleted(lower, path, name, base); !r) return r;
      same_type = false;
      in_lower = false;
    }
    Change c =
        Make(in_lower ? "modified" : "added", path, st, in_lower ? &base : nullptr, upper, name);
    if (S_ISREG(st.st_mode)) {
      UniqueFd file(::openat(upper, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      report::Sha256 hash;
      if (!file || !HashFile(file.get(), &hash)) {
        return MakeError("cannot read the change " + path, errno);
      }
      c.sha256 = hash.HexDigest();
      if (same_type) {
        auto old = HashAt(lower, name, path);
        if (!old) return old.error();
        c.base_sha256 = *old;
        if (c.base_sha256 == c.sha256 && (base.st_mode & 07777) == (st.st_mode & 07777)) {
          return {};  // copied up (opened for writing, touched) but the same
        }
      }
    } else if (S_ISLNK(st.st_mode)) {
      if (same_type && ReadLink(lower, name) == c.link) return {};
    }
    Add(std::move(c));
    return {};
  }

  Result<std::string> HashAt(int dir, const std::string& name, const std::string& path) {
    UniqueFd file(::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    report::Sha256 hash;
    if (!file || !HashFile(file.get(), &hash)) {
      return MakeError("cannot read the checkout's " + path, errno);
    }
    return hash.HexDigest();
  }

  static std::string ReadLink(int dir, const std::string& name) {
    char text[4096];
    ssize_t n = ::readlinkat(dir, name.c_str(), text, sizeof(text));
    return n < 0 ? std::string() : std::string(text, static_cast<size_t>(n));
  }

  Result<void> Deleted(int lower, const std::string& path, const std::string& name,
                       const struct stat& base) {
    Change c = Make("deleted", path, base, nullptr, lower, name);
    c.sha256.clear();
    c.link.clear();
    if (S_ISREG(base.st_mode)) {
      auto old = HashAt(lower, name, path);
      if (!old) return old.error();
      c.base_sha256 = *old;
    }
    // Deleting never adds a bit: only where the path is flags it.
    c.flags.erase(
        std::remove_if(c.flags.begin(), c.flags.end(),
                       [](const std::string& f) { return f != "vcs" && f != "protected"; }),
        c.flags.end());
    Add(std::move(c));
    return {};
  }

  // `dir` and `name`: where the entry is, for a symlink's text.
  Change Make(const char* change, const std::string& path, const struct stat& st,
              const struct stat* base, int dir, const std::string& name) {
    Change c;
    c.path = path;
    c.change = change;
    c.type = TypeOf(st.st_mode);
    c.mode = st.st_mode & 07777;
    c.size = S_ISREG(st.st_mode) || S_ISLNK(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
    if (S_ISLNK(st.st_mode)) c.link = ReadLink(dir, name);
    Flag(path, st, base, &c);
    return c;
  }

  void Flag(const std::string& path, const struct stat& st, const struct stat* base, Change* c) {
    size_t start = 0;
    bool vcs = false;
    bool trusted = false;
    for (;;) {
      size_t slash = path.find('/', start);
      std::string_view part = std::string_view(path).substr(
          start, slash == std::string::npos ? std::string::npos : slash - start);
      for (std::string_view v : kVcsNames) vcs |= part == v;
      for (std::string_view t : kTrustedNames) trusted |= part == t;
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    auto at_or_below = [&path](std::string_view p) {
      return path == p || (path.size() > p.size() && path.starts_with(p) && path[p.size()] == '/');
    };
    for (std::string_view p : kHookManagerPaths) trusted |= at_or_below(p);
    for (const std::string& p : protect_) trusted |= at_or_below(p);
    if (vcs) c->flags.push_back("vcs");
    if (trusted) c->flags.push_back("protected");
    if (S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0 &&
        (base == nullptr || (base->st_mode & 0111) == 0 || !S_ISREG(base->st_mode))) {
      c->flags.push_back("exec");
    }
    // Python runs a cached .pyc instead of its unchanged source when the header's mtime and
    // size match the source's (forged in one line), and imports a bare NAME.pyc found on
    // sys.path: bytecode is code nobody reviews in a diff.
    if (S_ISREG(st.st_mode) && (path.ends_with(".pyc") || path.ends_with(".pyo"))) {
      c->flags.push_back("bytecode");
    }
    if ((st.st_mode & S_ISUID) != 0) c->flags.push_back("setuid");
    if ((st.st_mode & S_ISGID) != 0 && !S_ISDIR(st.st_mode)) c->flags.push_back("setgid");
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) c->flags.push_back("device");
    if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) c->flags.push_back("special");
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) c->flags.push_back("hardlink");
    if (S_ISLNK(st.st_mode) && LinkEscapes(path, c->link)) c->flags.push_back("symlink-outside");
  }

  void Add(Change c) { changes_.push_back(std::move(c)); }

  const std::vector<std::string>& protect_;
  std::vector<Change> changes_;
};

}  // namespace

bool LinkEscapes(const std::string& path, const std::string& target) {
  if (target.empty() || target[0] == '/') return true;
  // Depth of the link's directory below the top level, then walk the target's components.
  long depth = static_cast<long>(std::count(path.begin(), path.end(), '/'));
  size_t start = 0;
  for (;;) {
    size_t slash = target.find('/', start);
    std::string_view part = std::string_view(target).substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") {
      if (--depth < 0) return true;
    } else if (!part.empty() && part != ".") {
      ++depth;
    }
    if (slash == std::string::npos) return false;
    start = slash + 1;
  }
}

Result<std::vector<Change>> ListChanges(int upper, int lower,
                                        const std::vector<std::string>& protect) {
  Walker walker(protect);
  if (auto r = walker.Dir(upper, lower, "", false); !r) return r.error();
  std::vector<Change> changes = walker.Take();
  std::sort(changes.begin(), changes.end(),
            [](const Change& a, const Change& b) { return a.path < b.path; });
  return changes;
}

bool AnySensitive(const Change& change) {
  return std::any_of(change.flags.begin(), change.flags.end(),
                     [](const std::string& f) { return f != "bytecode"; });
}

std::string Summary(const std::vector<Change>& changes) {
  if (changes.empty()) return "no changes to the workspace";
  size_t changed = 0;
  size_t deleted = 0;
  std::vector<const Change*> sensitive;
  size_t bytecode = 0;
  for (const Change& c : changes) {
    bytecode += std::count(c.flags.begin(), c.flags.end(), "bytecode");
    if (c.change == "deleted") {
      ++deleted;
    } else if (c.type != "dir" || c.change == "modified") {
      ++changed;
    }
    if (AnySensitive(c)) sensitive.push_back(&c);
  }
  std::string line = std::to_string(changed) + (changed == 1 ? " file" : " files") + " changed";
  if (deleted > 0) line += ", " + std::to_string(deleted) + " deleted";
  if (bytecode > 0) line += " (" + std::to_string(bytecode) + " of them Python bytecode)";
  if (!sensitive.empty()) {
    line += "; " + std::to_string(sensitive.size()) + " sensitive: ";
    constexpr size_t kNamed = 5;
    for (size_t i = 0; i < sensitive.size() && i < kNamed; ++i) {
      if (i > 0) line += ", ";
      line += sensitive[i]->path + " (" + sensitive[i]->change + ")";
    }
    if (sensitive.size() > kNamed) {
      line += " and " + std::to_string(sensitive.size() - kNamed) + " more";
    }
  }
  return line;
}

}  // namespace sandbox::workspace

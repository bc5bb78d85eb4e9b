#include "workspace/apply.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <random>

#include "common/syscalls.h"
#include "common/unique_fd.h"
#include "report/sha256.h"
#include "workspace/chunk_buffer.h"

namespace sandbox::workspace {
namespace {

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

bool Has(const Change& c, const char* flag) {
  return std::find(c.flags.begin(), c.flags.end(), flag) != c.flags.end();
}

// Opens `path` (relative) beneath `root`, no symlink anywhere on the way or at the end.
int OpenBeneath(int root, const std::string& path, int flags) {
  for (;;) {
    int fd = sys::OpenAt2(root, path.empty() ? "." : path.c_str(),
                          static_cast<uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW), kBeneath);
    if (fd < 0 && errno == EAGAIN) continue;
    return fd;
  }
}

// "a/b": not absolute, no empty, "." or ".." component.
bool PlainPath(const std::string& path) {
  if (path.empty() || path[0] == '/') return false;
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? slash : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string Leaf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Why a change is never applied, or applied only with --include-protected; "" if it may be.
std::string Refusal(const Change& c, bool include_protected) {
  for (const char* never : {"device", "special", "setuid", "setgid"}) {
    if (Has(c, never)) return std::string("refused: ") + never + " (never applied)";
  }
  if (c.type != "file" && c.type != "dir" && c.type != "symlink") return "refused: " + c.type;
  if (include_protected) return "";
  for (const char* sensitive : {"vcs", "protected", "symlink-outside", "exec", "hardlink"}) {
    if (Has(c, sensitive)) {
      return std::string("refused: ") + sensitive + " (--include-protected applies it)";
    }
  }
  return "";
}

Result<std::string> HashOf(int fd) {
  report::Sha256 hash;
  char* buffer = ChunkBuffer();
  for (;;) {
    ssize_t n = ::read(fd, buffer, kChunkSize);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError("read", errno);
    if (n == 0) break;
    hash.Update(buffer, static_cast<size_t>(n));
  }
  return hash.HexDigest();
}

// What stands at `path` in the checkout now, against what the job saw; "" if no conflict.
std::string Conflict(int checkout, const Change& c) {
  struct stat st {};
  UniqueFd parent(OpenBeneath(checkout, Parent(c.path), O_PATH | O_DIRECTORY));
  bool exists =
      parent && ::fstatat(parent.get(), Leaf(c.path).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  // ENOENT: what the job added below a directory it added too. Anything else (a symlink on
  // the way: ELOOP, or ENOTDIR for the last directory) is not the tree the job saw.
  if (!parent && errno != ENOENT) {
    return std::string("conflict: ") + (errno == ELOOP || errno == ENOTDIR
                                            ? "a symlink or file on the way in the checkout"
                                            : std::strerror(errno));
  }
  if (c.change == "added") {
    if (!exists) return "";
    if (c.type == "dir" && S_ISDIR(st.st_mode)) return "";  // made on both sides: merge
    return "conflict: added by the job, but the checkout has it now";
  }
  if (!exists) return "conflict: the checkout no longer has it";
  if (!c.base_sha256.empty()) {
    if (!S_ISREG(st.st_mode)) return "conflict: no longer a file in the checkout";
    UniqueFd file(OpenBeneath(checkout, c.path, O_RDONLY));
    if (!file)
      return std::string("conflict: cannot read it in the checkout: ") + std::strerror(errno);
    auto hash = HashOf(file.get());
    if (!hash || *hash != c.base_sha256) return "conflict: changed in the checkout since the run";
  } else if (c.type == "dir" && !S_ISDIR(st.st_mode)) {
    return "conflict: no longer a directory in the checkout";
  }
  return "";
}

std::string TempName(const std::string& leaf) {
  static std::mt19937_64 random{std::random_device{}()};
  char suffix[24];
  std::snprintf(suffix, sizeof(suffix), "%016llx", static_cast<unsigned long long>(random()));
  return "." + leaf.substr(0, 200) + ".sandbox-apply-" + suffix;
}

// Copies the job's file to a temporary beside `leaf`, checking it is what was listed, and
// renames it over. The mode is the listed one without setuid, setgid or sticky bits.
Result<void> WriteFile(int parent, int source, const Change& c) {
  UniqueFd in(OpenBeneath(source, c.path, O_RDONLY));
  struct stat st {};
  if (!in || ::fstat(in.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return MakeError("cannot open the job's " + c.path, errno);
  }
  std::string temp = TempName(Leaf(c.path));
  UniqueFd out(
      ::openat(parent, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out) return MakeError("cannot create a temporary for " + c.path, errno);
  report::Sha256 hash;
  char* buffer = ChunkBuffer();
  bool ok = true;
  for (;;) {
    ssize_t n = ::read(in.get(), buffer, kChunkSize);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    hash.Update(buffer, static_cast<size_t>(n));
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(out.get(), buffer + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        ok = false;
        break;
      }
      done += w;
    }
    if (!ok) break;
  }
  int saved = errno;
  if (ok && hash.HexDigest() != c.sha256) {
    ::unlinkat(parent, temp.c_str(), 0);
    return MakeError(c.path + " is not what the change list says (changed since it was listed)");
  }
  if (!ok || ::fchmod(out.get(), c.mode & 0777) != 0 ||
      ::renameat(parent, temp.c_str(), parent, Leaf(c.path).c_str()) != 0) {
    saved = errno != 0 ? errno : saved;
    ::unlinkat(parent, temp.c_str(), 0);
    return MakeError("cannot write " + c.path, saved);
  }
  return {};
}

Result<void> ApplyOne(int checkout, int source, const Change& c) {
  UniqueFd parent(OpenBeneath(checkout, Parent(c.path), O_PATH | O_DIRECTORY));
  if (!parent) {
    return MakeError("cannot open the directory of " + c.path +
                         (errno == ELOOP ? " (a symlink on the way is never followed)" : ""),
                     errno);
  }
  // O_PATH descriptors serve the *at calls below except reading a directory.
  std::string leaf = Leaf(c.path);
  if (c.change == "deleted") return RemoveTree(parent.get(), leaf);
  if (c.type == "dir") {
    if (::mkdirat(parent.get(), leaf.c_str(), c.mode & 0777) != 0 && errno != EEXIST) {
      return MakeError("cannot create " + c.path, errno);
    }
    UniqueFd dir(OpenBeneath(checkout, c.path, O_RDONLY | O_DIRECTORY));
    if (!dir || ::fchmod(dir.get(), c.mode & 0777) != 0) {
      return MakeError("cannot set the mode of " + c.path, errno);
    }
    return {};
  }
  if (c.type == "symlink") {
    std::string temp = TempName(leaf);
    if (::symlinkat(c.link.c_str(), parent.get(), temp.c_str()) != 0) {
      return MakeError("cannot create " + c.path, errno);
    }
    if (::renameat(parent.get(), temp.c_str(), parent.get(), leaf.c_str()) != 0) {
      int saved = errno;
      ::unlinkat(parent.get(), temp.c_str(), 0);
      return MakeError("cannot create " + c.path, saved);
    }
    return {};
  }
  return WriteFile(parent.get(), source, c);
}

}  // namespace

Result<void> RemoveTree(int dir, const std::string& name) {
  if (::unlinkat(dir, name.c_str(), 0) == 0) return {};
  if (errno != EISDIR && errno != EPERM) {
    if (errno == ENOENT) return {};
    return MakeError("cannot remove " + name, errno);
  }
  UniqueFd sub(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) return MakeError("cannot open " + name, errno);
  std::vector<std::string> names;
  {
    int copy = ::fcntl(sub.get(), F_DUPFD_CLOEXEC, 3);
    std::unique_ptr<DIR, int (*)(DIR*)> stream(::fdopendir(copy), &::closedir);
    if (!stream) return MakeError("cannot read " + name, errno);
    while (struct dirent* e = ::readdir(stream.get())) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        names.emplace_back(e->d_name);
      }
    }
  }
  for (const std::string& n : names) {
    if (auto r = RemoveTree(sub.get(), n); !r) return r;
  }
  if (::unlinkat(dir, name.c_str(), AT_REMOVEDIR) != 0) {
    return MakeError("cannot remove " + name, errno);
  }
  return {};
}

bool Selected(const std::string& path, const std::vector<std::string>& selected) {
  if (selected.empty()) return true;
  for (std::string s : selected) {
    while (s.size() > 1 && s.back() == '/') s.pop_back();
    if (s == "." || path == s ||
        (path.size() > s.size() && path.compare(0, s.size(), s) == 0 && path[s.size()] == '/')) {
      return true;
    }
  }
  return false;
}

Result<ApplyResult> Apply(const std::vector<Change>& changes, const ApplyRequest& request) {
  ApplyResult result;
  std::vector<const Change*> todo;
  for (const Change& c : changes) {
    if (!Selected(c.path, request.paths)) continue;
    // A change list read back from disk is data: only plain relative paths are applied.
    if (!PlainPath(c.path)) {
      result.refused.push_back(c.path + ": refused: not a plain path beneath the checkout");
      continue;
    }
    std::string why = Refusal(c, request.include_protected);
    if (!why.empty()) {
      result.refused.push_back(c.path + ": " + why);
      continue;
    }
    if (!request.include_protected && Has(c, "bytecode")) {
      result.skipped.push_back(c.path);
      continue;
    }
    // Below a refused directory nothing is applied either.
    bool under_refused = false;
    for (const std::string& r : result.refused) {
      std::string refused_path = r.substr(0, r.find(": "));
      under_refused |= c.path.size() > refused_path.size() &&
                       c.path.compare(0, refused_path.size(), refused_path) == 0 &&
                       c.path[refused_path.size()] == '/';
    }
    if (under_refused) {
      result.refused.push_back(c.path + ": refused: below a refused directory");
      continue;
    }
    std::string conflict = Conflict(request.checkout, c);
    if (!conflict.empty()) result.conflicts.push_back(c.path + ": " + conflict);
    todo.push_back(&c);
  }
  if (!result.conflicts.empty()) return result;
  // Deletions before additions at the same path (a directory replaced by a file), parents
  // before children (the list is sorted by path).
  std::stable_sort(todo.begin(), todo.end(), [](const Change* a, const Change* b) {
    if (a->path != b->path) return a->path < b->path;
    return a->change == "deleted" && b->change != "deleted";
  });
  for (const Change* c : todo) {
    if (auto r = ApplyOne(request.checkout, request.source, *c); !r) return r.error();
    result.applied.push_back(c->path);
  }
  return result;
}

}  // namespace sandbox::workspace

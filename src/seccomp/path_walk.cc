#include "seccomp/path_walk.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <vector>

namespace sandbox::seccomp {
namespace {

constexpr int kMaxLinks = 40;        // MAXSYMLINKS: the kernel's ELOOP
constexpr ino_t kProcRootInode = 1;  // PROC_ROOT_INO
const char kRootMarker[] = "/";      // a component meaning "back to the root"

// The same directory on the same mount (a bind mount of the root elsewhere is another place).
bool SamePlace(int a, int b) {
  struct statx x = {}, y = {};
  if (::statx(a, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &x) != 0 ||
      ::statx(b, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &y) != 0) {
    return false;
  }
  return x.stx_ino == y.stx_ino && x.stx_dev_major == y.stx_dev_major &&
         x.stx_dev_minor == y.stx_dev_minor && x.stx_mnt_id == y.stx_mnt_id;
}

uint64_t MountId(int fd) {
  struct statx x = {};
  if (::statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &x) != 0) return 0;
  return x.stx_mnt_id;
}

// Pushes the components of `path` so that the first is taken first; an absolute path starts
// with the root marker.
void Push(std::vector<std::string>* todo, std::string_view path) {
  std::vector<std::string> parts;
  size_t at = 0;
  while (at < path.size()) {
    size_t end = path.find('/', at);
    if (end == std::string_view::npos) end = path.size();
    if (end > at) parts.emplace_back(path.substr(at, end - at));
    at = end + 1;
  }
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo->push_back(std::move(*it));
  if (!path.empty() && path[0] == '/') todo->push_back(kRootMarker);
}

int Dup(int fd) { return ::fcntl(fd, F_DUPFD_CLOEXEC, 0); }

}  // namespace

int WalkPath(const WalkOptions& o, int start, std::string_view path, WalkResult* out) {
  if (path.empty()) return ENOENT;
  if ((o.resolve & RESOLVE_CACHED) != 0) return EAGAIN;  // never "in the cache": retried without
  const bool scoped = (o.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) != 0;
  const uint64_t start_mount = (o.resolve & RESOLVE_NO_XDEV) != 0 ? MountId(start) : 0;
  out->must_be_dir = path.back() == '/';
  UniqueFd cur(Dup(start));
  if (!cur) return errno;
  std::vector<std::string> todo;
  Push(&todo, path);
  if (todo.empty()) todo.emplace_back(".");  // "/" alone is the root marker; "" was refused
  int links = 0;
  auto crossed = [&](int fd) { return start_mount != 0 && MountId(fd) != start_mount; };
  auto finish = [&](UniqueFd fd, bool is_dir) {
    if (out->must_be_dir && !is_dir) return ENOTDIR;
    out->target = std::move(fd);
    return 0;
  };
  while (!todo.empty()) {
    std::string comp = std::move(todo.back());
    todo.pop_back();
    const bool last = todo.empty();
    if (comp == kRootMarker || comp == "..") {
      bool at_root = comp == kRootMarker || SamePlace(cur.get(), o.root);
      if (at_root && (o.resolve & RESOLVE_BENEATH) != 0) return EXDEV;
      if (comp == kRootMarker) {
        cur.Reset(Dup(o.root));
      } else if (!at_root) {
        UniqueFd up(::openat(cur.get(), "..", O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!up) return errno;
        cur = std::move(up);
      }
      if (!cur) return errno;
      if (crossed(cur.get())) return EXDEV;
      if (last) return finish(std::move(cur), true);
      continue;
    }
    if (comp == ".") {
      if (last) return finish(std::move(cur), true);
      continue;
    }
    UniqueFd next(::openat(cur.get(), comp.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!next) {
      if (errno == ENOENT && last) {
        out->parent = std::move(cur);
        out->last = comp;
        return ENOENT;
      }
      return errno;
    }
    struct stat st;
    if (::fstat(next.get(), &st) != 0) return errno;
    if (S_ISLNK(st.st_mode) && (!last || o.follow_last || out->must_be_dir)) {
      if ((o.resolve & RESOLVE_NO_SYMLINKS) != 0 || ++links > kMaxLinks) return ELOOP;
      struct statfs fs;
      struct stat here;
      if (::fstatfs(cur.get(), &fs) != 0 || ::fstat(cur.get(), &here) != 0) return errno;
      bool proc = fs.f_type == PROC_SUPER_MAGIC;
      if (proc && here.st_ino != kProcRootInode) {
        // Below a pid directory procfs links are magic (fd/N, cwd, root, exe): they name an
        // open file, not a path, and only the kernel can follow them.
        if ((o.resolve & RESOLVE_NO_MAGICLINKS) != 0) return ELOOP;
        if (scoped) return EXDEV;
        UniqueFd followed(::openat(cur.get(), comp.c_str(), O_PATH | O_CLOEXEC));
        if (!followed) return errno;
        if (::fstat(followed.get(), &st) != 0) return errno;
        if (crossed(followed.get())) return EXDEV;
        if (last) return finish(std::move(followed), S_ISDIR(st.st_mode));
        if (!S_ISDIR(st.st_mode)) return ENOTDIR;
        cur = std::move(followed);
        continue;
      }
      std::string text;
      if (proc && (comp == "self" || comp == "thread-self")) {
        if (o.proc_self) text = o.proc_self(cur.get(), comp == "thread-self");
        if (text.empty()) return ENOENT;
      } else {
        char buf[PATH_MAX];
        ssize_t n = ::readlinkat(next.get(), "", buf, sizeof(buf));
        if (n < 0) return errno;
        if (n == 0 || n == static_cast<ssize_t>(sizeof(buf))) return ENOENT;
        text.assign(buf, static_cast<size_t>(n));
      }
      Push(&todo, text);
      continue;
    }
    if (crossed(next.get())) return EXDEV;
    if (last) {
      out->last_is_link = S_ISLNK(st.st_mode);
      out->parent = std::move(cur);
      out->last = comp;
      return finish(std::move(next), S_ISDIR(st.st_mode));
    }
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
    cur = std::move(next);
  }
  return finish(std::move(cur), true);
}

}  // namespace sandbox::seccomp

#include "child/paths.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>

#include "common/raw_log.h"
#include "common/syscalls.h"

namespace sandbox::child {
namespace {

// RESOLVE_IN_ROOT: ".." and absolute symlinks stop at root_fd, as they would for the job after
// pivot_root. Used only to reopen a prefix already walked, so RESOLVE_NO_SYMLINKS: a directory
// swapped for a symlink meanwhile refuses the step.
constexpr uint64_t kReopenInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// path_resolution(7): at most 40 symlinks in one lookup.
constexpr int kMaxSymlinks = 40;

// The filesystems this setup made (TrustSymlinksOn). A child holds a few dozen at most.
constexpr size_t kMaxTrusted = 64;
dev_t trusted_devices[kMaxTrusted];
size_t trusted_count = 0;

int OpenResolved(int root_fd, const char* path) noexcept {
  for (;;) {
    int fd = sys::OpenAt2(root_fd, path[0] == '\0' ? "." : path, O_PATH | O_CLOEXEC, kReopenInRoot);
    // EAGAIN: a concurrent rename raced the lookup; the kernel asks us to retry.
    if (fd < 0 && errno == EAGAIN) continue;
    return fd;
  }
}

// A symlink in directory `dir_fd` may be followed when nobody but the sandbox can have put it
// there: the mount is read-only (statfs(2) reports the mount's flags), or the filesystem is
// one this setup created empty. Anything else is a read-write bind of the host, which a job of
// this run (later), of an earlier run, or of a concurrent one sharing the checkout can write.
bool MayFollowSymlinkIn(int dir_fd) noexcept {
  struct statfs fs;
  if (::fstatfs(dir_fd, &fs) == 0 && (fs.f_flags & ST_RDONLY) != 0) return true;
  struct stat st;
  if (::fstat(dir_fd, &st) != 0) return false;
  for (size_t i = 0; i < trusted_count; ++i) {
    if (trusted_devices[i] == st.st_dev) return true;
  }
  return false;
}

// Creates `name` in the directory `parent_fd`. EEXIST is success: the caller re-resolves.
int CreateLeaf(int parent_fd, const char* name, bool directory, unsigned mode) noexcept {
  if (directory) {
    if (::mkdirat(parent_fd, name, mode) == 0 || errno == EEXIST) return 0;
    return -1;
  }
  int fd = ::openat(parent_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd >= 0) {
    ::close(fd);
    return 0;
  }
  return errno == EEXIST ? 0 : -1;
}

// One component, not followed if it is a symlink (O_PATH | O_NOFOLLOW opens the link itself).
// Mount points are crossed: the descriptor names what is mounted there.
int OpenComponent(int dir_fd, const char* name) noexcept {
  return ::openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

// The walk's state: the descriptor reached, the real directories walked from the root (for
// ".."), and the text still to resolve, which a symlink's text is put in front of.
class Walk {
 public:
  Walk(int root_fd, const char* path, SetupStep step) noexcept
      : root_fd_(root_fd), path_(path), step_(step) {}
  ~Walk() {
    if (current_ >= 0) ::close(current_);
  }

  StepError Start() noexcept {
    size_t n = RawLength(path_);
    if (n >= sizeof(rest_)) return StepFailed(step_, ENAMETOOLONG, path_);
    for (size_t i = 0; i <= n; ++i) rest_[i] = path_[i];
    return ToRoot();
  }

  // The next component into `name`; false at the end. *last: nothing follows it.
  bool Next(char* name, size_t size, bool* last, bool* too_long) noexcept {
    while (rest_[pos_] == '/') ++pos_;
    if (rest_[pos_] == '\0') return false;
    size_t end = pos_;
    while (rest_[end] != '\0' && rest_[end] != '/') ++end;
    *too_long = end - pos_ >= size;
    size_t n = *too_long ? 0 : end - pos_;
    for (size_t i = 0; i < n; ++i) name[i] = rest_[pos_ + i];
    name[n] = '\0';
    pos_ = end;
    size_t after = end;
    while (rest_[after] == '/') ++after;
    *last = rest_[after] == '\0';
    return true;
  }

  StepError Up() noexcept {
    while (resolved_length_ > 0 && resolved_[resolved_length_ - 1] != '/') --resolved_length_;
    if (resolved_length_ > 0) --resolved_length_;  // the '/' before the dropped name
    resolved_[resolved_length_] = '\0';
    return Reopen();
  }

  // Moves into `next` (a real file or directory named `name`), taking ownership.
  StepError Enter(int next, const char* name) noexcept {
    size_t n = RawLength(name);
    if (resolved_length_ + n + 2 >= sizeof(resolved_)) {
      ::close(next);
      return StepFailed(step_, ENAMETOOLONG, path_);
    }
    if (resolved_length_ > 0) resolved_[resolved_length_++] = '/';
    for (size_t i = 0; i < n; ++i) resolved_[resolved_length_++] = name[i];
    resolved_[resolved_length_] = '\0';
    ::close(current_);
    current_ = next;
    return StepOk();
  }

  // `link` is an O_PATH descriptor of a symlink in the current directory: put its text in
  // front of what is left, and restart from the root for an absolute one.
  StepError Follow(int link) noexcept {
    if (!MayFollowSymlinkIn(current_)) {
      return StepFailed(step_, ELOOP, path_,
                        "a symlink on the way lives on a writable mount: refusing to follow it");
    }
    if (++links_ > kMaxSymlinks) return StepFailed(step_, ELOOP, path_);
    char text[PATH_MAX];
    // readlinkat(2) with an empty path reads the link an O_PATH descriptor names.
    ssize_t n = ::readlinkat(link, "", text, sizeof(text));
    if (n <= 0 || static_cast<size_t>(n) >= sizeof(text)) {
      return StepFailed(step_, n < 0 ? errno : ENAMETOOLONG, path_);
    }
    size_t tail = RawLength(rest_ + pos_);
    if (static_cast<size_t>(n) + tail + 1 >= sizeof(rest_)) {
      return StepFailed(step_, ENAMETOOLONG, path_);
    }
    // rest_ = text + rest_[pos_..]: move the tail (with its NUL; the ranges may overlap
    // either way, as in memmove), then copy the text in front of it.
    size_t to = static_cast<size_t>(n);
    if (to < pos_) {
      for (size_t i = 0; i <= tail; ++i) rest_[to + i] = rest_[pos_ + i];
    } else {
      for (size_t i = tail + 1; i-- > 0;) rest_[to + i] = rest_[pos_ + i];
    }
    for (ssize_t i = 0; i < n; ++i) rest_[i] = text[i];
    pos_ = 0;
    if (text[0] == '/') {
      resolved_length_ = 0;
      resolved_[0] = '\0';
      return Reopen();
    }
    return StepOk();
  }

  int current() const noexcept { return current_; }
  int Release() noexcept {
    int fd = current_;
    current_ = -1;
    return fd;
  }

 private:
  StepError ToRoot() noexcept {
    resolved_length_ = 0;
    resolved_[0] = '\0';
    return Reopen();
  }

  StepError Reopen() noexcept {
    int fd = OpenResolved(root_fd_, resolved_);
    if (fd < 0) return StepFailed(step_, errno, path_, "cannot reopen a directory on the way");
    if (current_ >= 0) ::close(current_);
    current_ = fd;
    return StepOk();
  }

  int root_fd_;
  const char* path_;
  SetupStep step_;
  int current_ = -1;
  int links_ = 0;
  size_t pos_ = 0;
  char rest_[PATH_MAX];
  char resolved_[PATH_MAX];
  size_t resolved_length_ = 0;
};

}  // namespace

bool TrustSymlinksOn(int fd) noexcept {
  struct stat st;
  if (trusted_count == kMaxTrusted || ::fstat(fd, &st) != 0) return false;
  trusted_devices[trusted_count++] = st.st_dev;
  return true;
}

StepError OpenInRoot(int root_fd, const char* path, LeafKind leaf, unsigned leaf_mode,
                     SetupStep step, int* out_fd, unsigned parent_mode) noexcept {
  Walk walk(root_fd, path, step);
  StepError e = walk.Start();
  if (e.failed()) return e;
  char name[NAME_MAX + 1];
  bool last = false;
  bool too_long = false;
  while (walk.Next(name, sizeof(name), &last, &too_long)) {
    if (too_long) return StepFailed(step, ENAMETOOLONG, path);
    if (name[0] == '.' && name[1] == '\0') continue;
    if (name[0] == '.' && name[1] == '.' && name[2] == '\0') {
      e = walk.Up();
      if (e.failed()) return e;
      continue;
    }
    int next = OpenComponent(walk.current(), name);
    // `current` is the resolved parent, inside the root; `name` is one component, so the
    // creation cannot leave it. A concurrent job sharing a checkout may rename what was just
    // made away again: make it anew a few times before giving up.
    bool create = !(last && leaf == LeafKind::kExisting);
    for (int attempt = 0; next < 0 && errno == ENOENT && create && attempt < 8; ++attempt) {
      bool directory = !last || leaf == LeafKind::kDirectory;
      if (CreateLeaf(walk.current(), name, directory, last ? leaf_mode : parent_mode) < 0) {
        return StepFailed(step, errno, path);
      }
      next = OpenComponent(walk.current(), name);
    }
    if (next < 0) return StepFailed(step, errno, path);
    struct stat st;
    if (::fstat(next, &st) < 0) {
      int err = errno;
      ::close(next);
      return StepFailed(step, err, path);
    }
    if (S_ISLNK(st.st_mode)) {
      e = walk.Follow(next);
      ::close(next);
      if (e.failed()) return e;
      continue;
    }
    e = walk.Enter(next, name);
    if (e.failed()) return e;
    if (!last && !S_ISDIR(st.st_mode)) return StepFailed(step, ENOTDIR, path);
  }
  *out_fd = walk.Release();
  return StepOk();
}

StepError OpenParentInRoot(int root_fd, const char* path, SetupStep step, int* out_fd,
                           const char** leaf_name, unsigned parent_mode) noexcept {
  const char* slash = nullptr;
  for (const char* p = path; *p != '\0'; ++p) {
    if (*p == '/') slash = p;
  }
  if (path[0] == '\0') return StepFailed(step, EINVAL, "/", "the root itself has no parent");
  if (slash == nullptr) {
    *leaf_name = path;
    return OpenInRoot(root_fd, "", LeafKind::kExisting, 0, step, out_fd);
  }
  char parent[PATH_MAX];
  size_t n = static_cast<size_t>(slash - path);
  if (n >= sizeof(parent)) return StepFailed(step, ENAMETOOLONG, path);
  for (size_t i = 0; i < n; ++i) parent[i] = path[i];
  parent[n] = '\0';
  *leaf_name = slash + 1;
  StepError e =
      OpenInRoot(root_fd, parent, LeafKind::kDirectory, parent_mode, step, out_fd, parent_mode);
  if (e.failed()) e.path = path;
  return e;
}

}  // namespace sandbox::child

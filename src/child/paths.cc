#include "child/paths.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/syscalls.h"

namespace sandbox::child {
namespace {

// RESOLVE_IN_ROOT: ".." and absolute symlinks stop at root_fd, as they would for the job after
// pivot_root. RESOLVE_NO_MAGICLINKS: /proc/self/... links must not lead out.
constexpr uint64_t kResolveInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

int OpenResolved(int root_fd, const char* path) noexcept {
  for (;;) {
    int fd =
        sys::OpenAt2(root_fd, path[0] == '\0' ? "." : path, O_PATH | O_CLOEXEC, kResolveInRoot);
    // EAGAIN: a concurrent rename raced the lookup; the kernel asks us to retry.
    if (fd < 0 && errno == EAGAIN) continue;
    return fd;
  }
}

bool IsDirectory(int fd) noexcept {
  struct stat st;
  return ::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
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

}  // namespace

StepError OpenInRoot(int root_fd, const char* path, LeafKind leaf, unsigned leaf_mode,
                     SetupStep step, int* out_fd, unsigned parent_mode) noexcept {
  char prefix[PATH_MAX];
  size_t length = 0;
  int current = OpenResolved(root_fd, "");
  if (current < 0) return StepFailed(step, errno, path, "cannot open the new root");

  const char* p = path;
  while (*p != '\0') {
    const char* end = p;
    while (*end != '\0' && *end != '/') ++end;
    size_t part = static_cast<size_t>(end - p);
    bool last = *end == '\0';
    if (length + part + 2 >= sizeof(prefix)) {
      ::close(current);
      return StepFailed(step, ENAMETOOLONG, path);
    }
    if (length > 0) prefix[length++] = '/';
    char* name = prefix + length;
    for (size_t i = 0; i < part; ++i) prefix[length++] = p[i];
    prefix[length] = '\0';

    int next = OpenResolved(root_fd, prefix);
    if (next < 0 && errno == ENOENT && !(last && leaf == LeafKind::kExisting)) {
      // `current` is the resolved parent, inside the root; `name` is one component, so the
      // creation cannot leave it.
      bool directory = !last || leaf == LeafKind::kDirectory;
      if (CreateLeaf(current, name, directory, last ? leaf_mode : parent_mode) < 0) {
        int err = errno;
        ::close(current);
        return StepFailed(step, err, path);
      }
      next = OpenResolved(root_fd, prefix);
      if (next < 0 && errno == ENOENT) {
        // The name exists but resolves to nothing: a dangling symlink.
        ::close(current);
        return StepFailed(step, ENOENT, path, "a symlink on the way dangles inside the sandbox");
      }
    }
    if (next < 0) {
      int err = errno;
      ::close(current);
      return StepFailed(step, err, path);
    }
    ::close(current);
    current = next;
    if (!last && !IsDirectory(current)) {
      ::close(current);
      return StepFailed(step, ENOTDIR, path);
    }
    p = last ? end : end + 1;
  }
  *out_fd = current;
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

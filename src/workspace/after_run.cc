#include "workspace/after_run.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/syscalls.h"
#include "common/unique_fd.h"

namespace sandbox::workspace {

std::vector<MovedAside> MoveAsidePlanted(const Layout& layout, const std::string& suffix) {
  std::vector<MovedAside> found;
  for (const ProtectedPath& p : layout.protected_paths) {
    if (p.read_only) continue;
    size_t slash = p.path.rfind('/');
    std::string parent = slash == 0 ? "/" : p.path.substr(0, slash);
    std::string name = p.path.substr(slash + 1);
    // The parent may itself be something the job replaced: no symlink is followed on the way.
    UniqueFd dir(sys::OpenAt2(AT_FDCWD, parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC,
                              RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
    if (!dir) continue;  // the directory is gone or replaced: nothing the host finds there
    struct stat st {};
    if (::fstatat(dir.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (p.ino != 0 && st.st_dev == p.dev && st.st_ino == p.ino) continue;  // the same symlink
    MovedAside m;
    m.path = p.path;
    std::string aside = name + ".sandbox-moved-" + suffix;
    if (::renameat2(dir.get(), name.c_str(), dir.get(), aside.c_str(), RENAME_NOREPLACE) == 0) {
      m.moved = parent + (parent == "/" ? "" : "/") + aside;
    } else {
      m.error = std::strerror(errno);
    }
    found.push_back(std::move(m));
  }
  return found;
}

}  // namespace sandbox::workspace

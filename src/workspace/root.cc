#include "workspace/root.h"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <string_view>

namespace sandbox::workspace {
namespace {

std::string Parent(const std::string& dir) {
  size_t slash = dir.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : dir.substr(0, slash);
}

// (Paths are built with append: g++ 12 at -O3 reports a false -Wrestrict on operator+ here.)
bool HasEntry(const std::string& dir, const char* name) {
  std::string path = dir;
  if (path != "/") path.append("/");
  path.append(name);
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

Error Refused(const std::string& root, const std::string& why) {
  Error e = MakeError("workspace " + root + " " + why);
  e.hint = "run sandbox from your project's directory, or name the project with --workspace DIR";
  return e;
}

}  // namespace

bool IsAncestorOrSelf(const std::string& dir, const std::string& path) {
  if (dir == "/") return true;
  return path == dir ||
         (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

std::string FindRoot(const std::string& cwd, const Homes& homes, std::string* found_by) {
  *found_by = "working directory";
  struct stat start {};
  if (::stat(cwd.c_str(), &start) != 0) return cwd;
  for (std::string dir = cwd;; dir = Parent(dir)) {
    // A home directory (or above it) is never a project, even with a .git of dotfiles in it.
    bool home_or_above =
        std::any_of(homes.dirs.begin(), homes.dirs.end(),
                    [&](const std::string& h) { return IsAncestorOrSelf(dir, h); });
    if (home_or_above || dir == "/") break;
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || st.st_dev != start.st_dev) break;
    if (HasEntry(dir, ".git")) {
      *found_by = "git work tree";
      return dir;
    }
  }
  return cwd;
}

Result<void> CheckRoot(const std::string& root, const Homes& homes, bool explicit_dir) {
  if (root == "/") return Refused(root, "is the whole filesystem");
  for (const std::string& home : homes.dirs) {
    if (home.empty()) continue;
    if (root == home) return Refused(root, "is your home directory");
    if (IsAncestorOrSelf(root, home)) return Refused(root, "holds your home directory " + home);
  }
  static constexpr std::array<std::string_view, 24> kSystem = {
      "/usr", "/etc",     "/var",     "/boot",      "/proc",    "/sys",       "/dev",     "/run",
      "/tmp", "/var/tmp", "/var/lib", "/var/cache", "/var/log", "/var/spool", "/dev/shm", "/opt",
      "/srv", "/mnt",     "/media",   "/home",      "/root",    "/lib",       "/bin",     "/sbin"};
  if (std::find(kSystem.begin(), kSystem.end(), root) != kSystem.end()) {
    return Refused(root, "is a system directory");
  }
  static constexpr std::array<std::string_view, 7> kSystemTrees = {"/usr", "/etc", "/boot", "/proc",
                                                                   "/sys", "/dev", "/run"};
  for (std::string_view tree : kSystemTrees) {
    if (IsAncestorOrSelf(std::string(tree), root)) {
      return Refused(root, "is inside the system directory " + std::string(tree));
    }
  }
  if (!explicit_dir) {
    // ~/.ssh, ~/.config, ~/.local/bin: what the host reads or runs, never a project by chance.
    for (const std::string& home : homes.dirs) {
      std::string dot = home;
      dot.append(home == "/" ? "." : "/.");
      if (home.empty() || !root.starts_with(dot)) continue;
      Error e = Refused(root, "is inside a dot-directory of your home (" + dot + "*)");
      e.hint = "if it really is your project, name it: --workspace " + root;
      return e;
    }
  }
  return {};
}

}  // namespace sandbox::workspace

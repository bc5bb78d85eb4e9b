#include "workspace/prepare.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "common/canonical_path.h"
#include "common/passwd.h"
#include "workspace/caches.h"
#include "workspace/protect.h"

namespace sandbox::workspace {
namespace {

Result<void> ApplyCacheShares(cli::CliOptions* options) {
  for (const auto& entry : options->cache_shares) {
    const std::string& name = entry.first;  // a plain reference: clang 14 cannot capture bindings
    const std::string& share = entry.second;
    auto it = std::find_if(options->caches.begin(), options->caches.end(),
                           [&](const cli::CacheRequest& c) { return c.name == name; });
    if (it == options->caches.end()) {
      std::string known;
      for (const auto& c : options->caches) known += (known.empty() ? "" : ", ") + c.name;
      Error e = MakeError("--cache " + name + "=" + share + ": no cache named " + name);
      e.hint = known.empty() ? "this run has no caches (profiles declare them with [[cache]])"
                             : "this run's caches: " + known;
      return e;
    }
    if (share == "host" && it->host.empty()) {
      Error e = MakeError("--cache " + name + "=host: cache " + name + " names no host cache");
      e.hint = "add host = \"...\" to its [[cache]] entry";
      return e;
    }
    it->share = share;
  }
  return {};
}

// The workspace's top level, checked; "" when the run has none.
Result<std::string> FindWorkspace(const cli::WorkspaceRequest& ws, const Context& context,
                                  std::string* found_by) {
  if (!ws.mode || *ws.mode == "none") return std::string();
  std::string root;
  if (ws.dir) {
    std::string dir = *ws.dir;
    if (!dir.empty() && dir[0] != '/') dir = context.cwd + "/" + dir;
    root = CanonicalPath(dir);
    struct stat st {};
    if (root.empty() || ::stat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      Error e = MakeError("--workspace " + *ws.dir + ": not a directory", errno);
      e.hint = "name your project's directory";
      return e;
    }
    *found_by = "--workspace";
  } else {
    root = FindRoot(context.cwd, context.homes, found_by);
  }
  if (auto ok = CheckRoot(root, context.homes, ws.dir.has_value()); !ok) {
    Error e = ok.error();
    if (!ws.mode_origin.empty()) e.message += " (" + ws.mode_origin + ")";
    return e;
  }
  return root;
}

// The directories from `cwd` up to, not including, the workspace's top level `root`; none
// when `cwd` is not below it.
std::vector<std::string> BelowRootToCwd(const std::string& root, const std::string& cwd) {
  std::vector<std::string> dirs;
  if (root.empty() || !IsAncestorOrSelf(root, cwd)) return dirs;
  for (std::string dir = cwd; dir.size() > root.size(); dir = dir.substr(0, dir.rfind('/'))) {
    dirs.push_back(dir);
  }
  return dirs;
}

// Directories from the working directory up to the workspace's top level have no `.git`
// (else the top level would be lower down): one appearing there during the run would be the
// repository the host's git finds first, so each is watched.
void WatchWorkingDirectories(const std::string& root, const Context& context, Layout* layout) {
  for (const std::string& dir : BelowRootToCwd(root, context.cwd)) {
    ProtectedPath p;
    p.path = dir + "/.git";
    p.reason = "cwd";
    struct stat st {};
    if (::lstat(p.path.c_str(), &st) == 0) continue;  // --workspace above a repository
    layout->protected_paths.push_back(std::move(p));
  }
}

// A bind's host source as a canonical directory; "" when it is not one (a file, absent).
std::string HostDirectory(const std::string& source, const std::string& cwd) {
  std::string dir = CanonicalPath(source[0] == '/' ? source : cwd + "/" + source);
  struct stat st {};
  return !dir.empty() && ::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? dir : "";
}

// The caller's PATH and LD_LIBRARY_PATH directories the job can write: what the host's shell
// runs and its programs load by name after the run (path_watch.h). Every writable directory
// bind counts, the workspace's and caches' too; protected paths bound read-only do not.
void WatchSearchPath(const cli::CliOptions& options, const Context& context, Layout* layout) {
  std::vector<std::string> writable;
  for (const cli::MountRequest& m : options.mounts) {
    if ((m.kind != MountKind::kBind && m.kind != MountKind::kDevBind) || m.source.empty()) {
      continue;
    }
    if (std::string dir = HostDirectory(m.source, context.cwd); !dir.empty()) {
      writable.push_back(std::move(dir));
    }
  }
  if (writable.empty()) return;
  std::vector<std::string> read_only;
  for (const ProtectedPath& p : layout->protected_paths) {
    if (p.read_only) read_only.push_back(p.path);
  }
  auto watch = [&](SearchKind kind, const std::optional<std::string>& value) {
    if (!value) return;
    WatchedSearchPath search;
    search.kind = kind;
    search.dirs = SearchPath(value->c_str(), context.cwd);
    if (kind == SearchKind::kLibraries) {
      for (std::string& dir : DefaultLibraryDirs()) search.dirs.push_back(std::move(dir));
    }
    search.watched = WatchPathDirs(search.dirs, writable, read_only);
    for (const WatchedPathDir& w : search.watched) {
      if (w.too_many) {
        layout->notes.push_back(w.dir + ", on your " + VariableName(kind) + ", holds more than " +
                                std::to_string(kMaxPathDirEntries) +
                                " entries: what the job leaves there is not checked");
      }
    }
    if (!search.watched.empty()) layout->search_paths.push_back(std::move(search));
  };
  watch(SearchKind::kCommands, context.path_env);
  watch(SearchKind::kLibraries, context.library_path_env);
}

}  // namespace

Context Context::FromProcess(const std::string& cwd) {
  Context c;
  c.cwd = CanonicalPath(cwd);
  if (c.cwd.empty()) c.cwd = cwd;
  c.uid = ::getuid();
  const char* home = std::getenv("HOME");
  std::string home_dir = CanonicalPath(home != nullptr ? home : "");
  if (!home_dir.empty()) c.homes.dirs.push_back(home_dir);
  if (auto entry = PasswdEntryOf(c.uid)) {
    std::string pw_home = CanonicalPath(entry->home);
    if (!pw_home.empty() && pw_home != home_dir) c.homes.dirs.push_back(pw_home);
  }
  // Where git reads the caller's and the system's configuration (git-config(1), FILES).
  const char* global = std::getenv("GIT_CONFIG_GLOBAL");
  const char* xdg_config = std::getenv("XDG_CONFIG_HOME");
  if (home != nullptr && home[0] == '/') c.home = home;
  if (global != nullptr) {
    c.git_configs.push_back(global);
  } else {
    if (xdg_config != nullptr && xdg_config[0] == '/') {
      c.git_configs.push_back(std::string(xdg_config) + "/git/config");
    } else if (!c.home.empty()) {
      c.git_configs.push_back(c.home + "/.config/git/config");
    }
    if (!c.home.empty()) c.git_configs.push_back(c.home + "/.gitconfig");
  }
  if (std::getenv("GIT_CONFIG_NOSYSTEM") == nullptr) {
    const char* system = std::getenv("GIT_CONFIG_SYSTEM");
    c.git_configs.push_back(system != nullptr ? system : "/etc/gitconfig");
  }
  if (const char* path = std::getenv("PATH")) c.path_env = path;
  if (const char* path = std::getenv("LD_LIBRARY_PATH")) c.library_path_env = path;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') {
    c.cache_home = xdg;
  } else if (!c.homes.dirs.empty()) {
    c.cache_home =
        (home != nullptr && home[0] == '/' ? std::string(home) : c.homes.dirs.back()) + "/.cache";
  }
  return c;
}

Result<Layout> Prepare(cli::CliOptions* options, const Context& context) {
  Layout layout;
  if (auto r = ApplyCacheShares(options); !r) return r.error();
  const cli::WorkspaceRequest& ws = options->workspace;
  layout.vcs_writable = ws.vcs && *ws.vcs == "rw";
  auto root = FindWorkspace(ws, context, &layout.found_by);
  if (!root) return root.error();
  layout.root = *root;

  std::vector<cli::MountRequest>& mounts = options->mounts;
  size_t at = std::min(options->profile_mounts, mounts.size());
  std::vector<cli::MountRequest> added;
  if (!layout.root.empty()) {
    layout.root_fd.Reset(::open(layout.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    cli::MountRequest bind;
    bind.kind = MountKind::kBind;
    bind.source = bind.target = layout.root;
    bind.flag = "workspace (" + (ws.mode_origin.empty() ? "--workspace" : ws.mode_origin) + ")";
    if (*ws.mode == "overlay") {
      // The checkout is the overlay's only lower layer: every write lands in the upper layer,
      // a bounded tmpfs the supervisor reads after the run (docs/workspace.md).
      layout.overlay = true;
      bind.kind = MountKind::kTmpOverlay;
      bind.layers = {layout.root};
      bind.source.clear();
      bind.capture_changes = true;
    }
    added.push_back(std::move(bind));
  }
  mounts.insert(mounts.begin() + static_cast<std::ptrdiff_t>(at), added.begin(), added.end());
  at += added.size();

  // Protected paths of every writable directory bind, caches aside (they are the sandbox's).
  std::vector<cli::MountRequest> read_only;
  std::vector<std::string> writable_dirs;
  for (const cli::MountRequest& m : mounts) {
    // The workspace overlay too: its protected paths stay read-only binds of the host's own.
    const std::string& source = m.capture_changes ? m.layers[0] : m.source;
    if ((m.kind != MountKind::kBind && !m.capture_changes) || source.empty()) continue;
    std::string dir = HostDirectory(source, context.cwd);
    if (dir.empty()) continue;
    ProtectRequest request{dir,         m.target,     layout.vcs_writable,
                           ws.protect,  ws.unprotect, context.git_configs,
                           context.home};
    Protect(request, &layout.protected_paths, &read_only, &layout.notes);
    writable_dirs.push_back(dir);
  }
  if (!layout.root.empty() && !layout.vcs_writable) {
    WatchWorkingDirectories(layout.root, context, &layout);
  }
  if (context.create) {
    // cargo reads `.cargo/config.toml` in every directory from where it runs up to `/`.
    for (std::string& dir : BelowRootToCwd(layout.root, context.cwd)) {
      writable_dirs.push_back(std::move(dir));
    }
    layout.tool_configs = SnapshotToolConfigs(std::move(writable_dirs));
  }

  std::vector<cli::MountRequest> cache_mounts;
  std::string in_private_tmp;  // --isolation landlock: the caches kept for this run only
  for (const cli::CacheRequest& cache : options->caches) {
    CacheUse in_tmp;
    if (options->isolation == "landlock" && CacheInPrivateTmp(cache, &in_tmp)) {
      in_private_tmp += (in_private_tmp.empty() ? "" : ", ") + cache.name;
      layout.caches.push_back(std::move(in_tmp));
      continue;
    }
    auto use = PrepareCache(cache, context.cache_home, context.uid, context.create, &cache_mounts,
                            &layout.locks, &layout.notes);
    if (!use) return use.error();
    layout.caches.push_back(std::move(use).value());
  }
  if (context.create && !in_private_tmp.empty()) {
    layout.notes.push_back(
        "caches kept for this run only, in the job's private TMPDIR "
        "(--isolation landlock has no mount to show the sandbox's own): " +
        in_private_tmp);
  }
  mounts.insert(mounts.begin() + static_cast<std::ptrdiff_t>(at), cache_mounts.begin(),
                cache_mounts.end());
  mounts.insert(mounts.end(), read_only.begin(), read_only.end());
  if (context.create) WatchSearchPath(*options, context, &layout);
  return layout;
}

}  // namespace sandbox::workspace

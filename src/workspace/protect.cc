#include "workspace/protect.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>

#include "common/canonical_path.h"
#include "common/unique_fd.h"
#include "workspace/root.h"

namespace sandbox::workspace {
namespace {

// The first `max` bytes of a regular file, not following a symlink at `path` unless `follow`;
// "" on failure.
std::string ReadSmallFile(const std::string& path, size_t max = 4096, bool follow = false) {
  UniqueFd fd(::open(path.c_str(),
                     O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW)));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  std::string text(max, '\0');
  ssize_t n = ::read(fd.get(), text.data(), max);
  text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  return text;
}

std::string Trim(std::string_view s) {
  auto space = [](char c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t'; };
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  return std::string(s);
}

// `rel` resolved against `base` when relative.
std::string Against(const std::string& base, const std::string& rel) {
  return !rel.empty() && rel[0] == '/' ? rel : base + "/" + rel;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

// A git configuration value as git reads it: quotes removed, backslash escapes undone, and
// cut at a comment outside quotes.
std::string ConfigValue(std::string_view raw) {
  std::string out;
  bool quoted = false;
  size_t kept = 0;  // out's length up to the last character that is not trailing blank
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '"') {
      quoted = !quoted;
      kept = out.size();
      continue;
    }
    if (!quoted && (c == '#' || c == ';')) break;
    if (c == '\\' && i + 1 < raw.size()) {
      char e = raw[++i];
      out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      kept = out.size();
      continue;
    }
    if (out.empty() && !quoted && (c == ' ' || c == '\t')) continue;
    out += c;
    if (quoted || (c != ' ' && c != '\t' && c != '\r')) kept = out.size();
  }
  out.resize(kept);
  return out;
}

// What a git configuration file says that matters here.
struct ConfigScan {
  std::vector<std::string> hooks_paths;  // every core.hooksPath value
  std::vector<std::string> includes;     // every include.path and includeIf.*.path value
};

ConfigScan ScanConfig(const std::string& text) {
  ConfigScan scan;
  enum class Section { kOther, kCore, kInclude } section = Section::kOther;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = Trim(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line[0] == '[') {
      size_t close = line.find(']');
      std::string name = close == std::string::npos ? "" : Lower(Trim(line.substr(1, close - 1)));
      section = name == "core"                                        ? Section::kCore
                : name == "include" || name.starts_with("includeif ") ? Section::kInclude
                                                                      : Section::kOther;
      // git accepts a variable on the header's own line: "[core] hooksPath = x".
      line = close == std::string::npos ? "" : Trim(line.substr(close + 1));
      if (line.empty()) continue;
    }
    size_t eq = line.find('=');
    if (section == Section::kOther || eq == std::string::npos) continue;
    std::string key = Lower(Trim(line.substr(0, eq)));
    std::string value = ConfigValue(std::string_view(line).substr(eq + 1));
    if (section == Section::kCore && key == "hookspath") scan.hooks_paths.push_back(value);
    if (section == Section::kInclude && key == "path") scan.includes.push_back(value);
  }
  return scan;
}

cli::MountRequest ReadOnly(const std::string& source, const std::string& target,
                           const std::string& why) {
  cli::MountRequest m;
  m.kind = MountKind::kReadOnlyBind;
  m.source = source;
  m.target = target;
  m.flag = "workspace: " + why + " " + source + " read-only";
  return m;
}

class Protector {
 public:
  Protector(const ProtectRequest& request, std::vector<ProtectedPath>* paths,
            std::vector<cli::MountRequest>* mounts, std::vector<std::string>* notes)
      : r_(request), paths_(paths), mounts_(mounts), notes_(notes) {}

  void Run() {
    std::vector<std::string> names;
    if (!r_.vcs_writable) names.assign(std::begin(kVcsNames), std::end(kVcsNames));
    names.insert(names.end(), std::begin(kTrustedNames), std::end(kTrustedNames));
    names.insert(names.end(), std::begin(kHookManagerPaths), std::end(kHookManagerPaths));
    for (const std::string& p : r_.protect) names.push_back(p);
    for (const std::string& name : names) {
      if (std::find(r_.unprotect.begin(), r_.unprotect.end(), name) != r_.unprotect.end()) continue;
      if (std::find(done_.begin(), done_.end(), name) != done_.end()) continue;
      bool vcs = std::find(std::begin(kVcsNames), std::end(kVcsNames), name) != std::end(kVcsNames);
      Add(name, vcs ? "vcs" : "listed");
    }
    if (!r_.vcs_writable) {
      Submodules();
      HooksPaths();
    }
  }

 private:
  // Protects `rel` (relative to the bound directory).
  void Add(const std::string& rel, const char* reason) {
    done_.push_back(rel);
    ProtectedPath p;
    p.path = r_.host_dir + "/" + rel;
    p.reason = reason;
    struct stat st {};
    if (::lstat(p.path.c_str(), &st) == 0 && !S_ISLNK(st.st_mode)) {
      p.read_only = true;
      mounts_->push_back(ReadOnly(p.path, r_.target + "/" + rel, "protect"));
      if (rel == ".git" && S_ISREG(st.st_mode)) LinkedGitDir(p.path);
      if (rel == ".git" && S_ISDIR(st.st_mode)) {
        repo_configs_ = {p.path + "/config", p.path + "/config.worktree"};
      }
    } else if (S_ISLNK(st.st_mode)) {
      p.dev = st.st_dev;
      p.ino = st.st_ino;
    }
    paths_->push_back(std::move(p));
  }

  // A `.git` file says "gitdir: DIR". Git inside needs DIR (and for a linked worktree its
  // common dir); they are bound read-only at their own paths only when DIR names this
  // directory back (a worktree's DIR/gitdir file, a submodule's core.worktree), so a planted
  // `.git` file cannot make the sandbox show an unrelated directory of the host.
  void LinkedGitDir(const std::string& dot_git) {
    std::string text = Trim(ReadSmallFile(dot_git));
    if (!text.starts_with("gitdir:")) return;
    std::string gitdir = CanonicalPath(Against(r_.host_dir, Trim(text.substr(7))));
    if (gitdir.empty()) return;
    if (IsAncestorOrSelf(r_.host_dir, gitdir)) {
      Add(gitdir.substr(r_.host_dir.size() + 1), "gitdir");  // bound with the directory
      repo_configs_ = {gitdir + "/config", gitdir + "/config.worktree"};
      return;
    }
    std::string back = Trim(ReadSmallFile(gitdir + "/gitdir"));
    bool worktree = !back.empty() && CanonicalPath(Against(gitdir, back)) == CanonicalPath(dot_git);
    bool submodule = false;
    if (!worktree) {
      std::string config = ReadSmallFile(gitdir + "/config", 65536);
      size_t at = config.find("worktree = ");
      if (at != std::string::npos) {
        size_t end = config.find('\n', at);
        std::string wt =
            Trim(config.substr(at + 11, end == std::string::npos ? end : end - at - 11));
        submodule = CanonicalPath(Against(gitdir, wt)) == r_.host_dir;
      }
    }
    if (!worktree && !submodule) {
      notes_->push_back(
          dot_git + " names " + gitdir +
          ", which does not name it back: not shown inside (git will not work there)");
      return;
    }
    std::string common = gitdir;
    if (worktree) {
      std::string rel = Trim(ReadSmallFile(gitdir + "/commondir"));
      if (!rel.empty()) common = CanonicalPath(Against(gitdir, rel));
      if (common.empty()) common = gitdir;
    }
    repo_configs_ = {common + "/config", gitdir + "/config.worktree"};
    std::vector<std::string> dirs = {common};
    if (!IsAncestorOrSelf(common, gitdir)) dirs.push_back(gitdir);
    for (const std::string& dir : dirs) {
      ProtectedPath p;
      p.path = dir;
      p.reason = "gitdir";
      p.read_only = true;
      paths_->push_back(p);
      mounts_->push_back(ReadOnly(dir, dir, "git directory"));
    }
  }

  // `path = sub` lines of .gitmodules: each submodule's `.git` file is as trusted as ours.
  void Submodules() {
    std::string text = ReadSmallFile(r_.host_dir + "/.gitmodules", 1 << 20);
    size_t pos = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string::npos) end = text.size();
      std::string line = Trim(text.substr(pos, end - pos));
      pos = end + 1;
      if (!line.starts_with("path")) continue;
      size_t eq = line.find('=');
      if (eq == std::string::npos || Trim(line.substr(4, eq - 4)) != "") continue;
      std::string sub = Trim(line.substr(eq + 1));
      bool dotdot = sub == ".." || sub.starts_with("../") ||
                    sub.find("/../") != std::string::npos || sub.ends_with("/..");
      if (sub.empty() || sub[0] == '/' || dotdot || sub.find('"') != std::string::npos) continue;
      std::string rel = sub + "/.git";
      if (std::find(done_.begin(), done_.end(), rel) == done_.end()) Add(rel, "submodule");
    }
  }

  // core.hooksPath, from the repository's configuration or the caller's and the system's:
  // git runs its hooks from there, so a directory inside the bind is as trusted as
  // .git/hooks (husky's `.husky/_`, a project's `.githooks`). Relative values are relative to
  // the work tree's top, which the workspace is.
  void HooksPaths() {
    std::vector<std::string> files = repo_configs_;
    files.insert(files.end(), r_.git_configs.begin(), r_.git_configs.end());
    // Included files are read whatever their condition (includeIf's gitdir:, onbranch:):
    // protecting a hooks directory git would not use here costs nothing. Each file once, 64
    // at most, so a loop ends. An included file inside the bind (a project's versioned
    // `.gitconfig` that `include.path = ../.gitconfig` pulls in) is git configuration the
    // host runs from (core.fsmonitor, aliases): protected like .git itself.
    constexpr size_t kMaxFiles = 64;
    for (size_t i = 0; i < files.size() && i < kMaxFiles; ++i) {
      const std::string file = files[i];
      // Followed as git follows them (a dotfile manager's ~/.gitconfig is a symlink): only
      // read, and only a regular file.
      ConfigScan scan = ScanConfig(ReadSmallFile(file, 1 << 20, true));
      for (const std::string& value : scan.includes) {
        std::string include = Resolve(value, file.substr(0, file.rfind('/')));
        if (include.empty()) continue;
        if (std::find(files.begin(), files.end(), include) == files.end()) files.push_back(include);
        std::string rel = Inside(include);
        if (!rel.empty() && rel != ".") AddUnlessCovered(rel, "gitconfig");
      }
      for (const std::string& value : scan.hooks_paths) {
        std::string rel = Inside(Resolve(value, r_.host_dir));
        if (rel.empty()) continue;
        if (rel == ".") {
          notes_->push_back(file + ": core.hooksPath names " + r_.host_dir +
                            " itself: its hook scripts are not protected (--protect each)");
          continue;
        }
        AddUnlessCovered(rel, "hooks");
      }
    }
  }

  // Add, unless `rel` was left writable or lies under a path protected already.
  void AddUnlessCovered(const std::string& rel, const char* reason) {
    bool covered = std::find(r_.unprotect.begin(), r_.unprotect.end(), rel) != r_.unprotect.end();
    for (const std::string& d : done_) covered |= rel == d || rel.starts_with(d + "/");
    if (!covered) Add(rel, reason);
  }

  // A path from git configuration as git resolves it: "~/" is the home, a relative one is
  // against `base`; "" for another user's "~name" or nothing.
  std::string Resolve(const std::string& value, const std::string& base) const {
    if (value.starts_with("~/") && !r_.home.empty()) return r_.home + value.substr(1);
    if (value.empty() || value[0] == '~') return "";
    return Against(base, value);
  }

  // Absolute `path` relative to the bound directory; "." for the directory itself, "" when it
  // lies outside or climbs with "..".
  std::string Inside(const std::string& path) const {
    if (path.empty()) return "";
    std::string rel = Relative(path);
    return rel.empty() ? Relative(CanonicalPath(path)) : rel;
  }

  // `path` relative to the bound directory without "." or ".." components ("." for the
  // directory itself); "" when it is outside or has them.
  std::string Relative(std::string path) const {
    while (path.size() > 1 && path.ends_with("/")) path.pop_back();
    if (path.empty() || !IsAncestorOrSelf(r_.host_dir, path)) return "";
    if (path.size() == r_.host_dir.size()) return ".";
    std::string rel = path.substr(r_.host_dir.size() + 1);
    size_t pos = 0;
    while (pos <= rel.size()) {
      size_t end = rel.find('/', pos);
      if (end == std::string::npos) end = rel.size();
      std::string_view part = std::string_view(rel).substr(pos, end - pos);
      if (part.empty() || part == "." || part == "..") return "";
      pos = end + 1;
    }
    return rel;
  }

  const ProtectRequest& r_;
  std::vector<ProtectedPath>* paths_;
  std::vector<cli::MountRequest>* mounts_;
  std::vector<std::string>* notes_;
  std::vector<std::string> done_;
  std::vector<std::string> repo_configs_;  // the repository's config files, once found
};

}  // namespace

void Protect(const ProtectRequest& request, std::vector<ProtectedPath>* paths,
             std::vector<cli::MountRequest>* mounts, std::vector<std::string>* notes) {
  Protector(request, paths, mounts, notes).Run();
}

}  // namespace sandbox::workspace

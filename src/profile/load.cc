// Finding profiles, following `extends`, merging the chain.
#include "profile/load.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>

extern char** environ;

namespace sandbox::profile {
namespace {

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The extending profile (`over`) wins for scalars; lists append after the base's.
void MergeInto(ProfileSpec& base, ProfileSpec&& over) {
  auto scalar = [](auto& into, auto& from) {
    if (from) into = std::move(from);
  };
  scalar(base.hostname, over.hostname);
  scalar(base.network, over.network);
  scalar(base.cwd, over.cwd);
  scalar(base.uid, over.uid);
  scalar(base.gid, over.gid);
  scalar(base.landlock, over.landlock);
  scalar(base.env.clear, over.env.clear);
  for (auto& p : over.env.pass) base.env.pass.push_back(std::move(p));
  for (auto& u : over.env.unset) base.env.unset.push_back(std::move(u));
  for (auto& [name, value] : over.env.set) {
    bool replaced = false;
    for (auto& [existing, old] : base.env.set) {
      if (existing == name) {
        old = value;
        replaced = true;
      }
    }
    if (!replaced) base.env.set.emplace_back(name, std::move(value));
  }
  for (auto& m : over.mounts) base.mounts.push_back(std::move(m));
  for (auto& l : over.limits) base.limits.push_back(std::move(l));
  base.chain.push_back(over.path);
  base.path = over.path;
}

}  // namespace

HostContext HostContext::FromProcess(const std::vector<std::string>& installed_dirs) {
  HostContext host;
  if (char* cwd = ::getcwd(nullptr, 0)) {
    host.cwd = cwd;
    std::free(cwd);
  }
  host.uid = ::getuid();
  host.gid = ::getgid();
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) host.env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[4096];
  if (::getpwuid_r(host.uid, &pw, buf, sizeof(buf), &found) == 0 && found != nullptr) {
    host.user = found->pw_name;
    host.home = found->pw_dir;
  }
  if (auto it = host.env.find("HOME"); it != host.env.end()) host.home = it->second;
  if (auto it = host.env.find("USER"); it != host.env.end() && host.user.empty()) {
    host.user = it->second;
  }
  if (auto it = host.env.find("XDG_CONFIG_HOME"); it != host.env.end() && !it->second.empty()) {
    host.search_dirs.push_back(it->second + "/sandbox/profiles");
  } else if (!host.home.empty()) {
    host.search_dirs.push_back(host.home + "/.config/sandbox/profiles");
  }
  host.search_dirs.push_back("/etc/sandbox/profiles");
  for (const auto& d : installed_dirs) host.search_dirs.push_back(d);
  return host;
}

Result<std::string> Locate(std::string_view name_or_path, const HostContext& host,
                           std::string_view relative_to) {
  std::string name(name_or_path);
  bool is_path = name.find('/') != std::string::npos ||
                 (name.size() > 5 && name.compare(name.size() - 5, 5, ".toml") == 0);
  if (is_path) {
    std::string path = name;
    if (path[0] != '/') {
      path = (relative_to.empty() ? host.cwd : std::string(relative_to)) + "/" + path;
    }
    if (IsFile(path)) return path;
    // "base.toml" written next to the extending file, or in the search path.
    if (name.find('/') != std::string::npos) {
      return MakeError("profile " + name + " not found", ENOENT);
    }
    name = name.substr(0, name.size() - 5);
  }
  std::string looked;
  for (const std::string& dir : host.search_dirs) {
    std::string path = dir + "/" + name + ".toml";
    if (IsFile(path)) return path;
    looked += (looked.empty() ? "" : ", ") + dir;
  }
  Error e = MakeError("profile \"" + name + "\" not found");
  e.hint = "looked in " + (looked.empty() ? std::string("no directories") : looked) +
           "; give a path to use a file elsewhere";
  return e;
}

LoadResult Load(std::string_view name_or_path, const HostContext& host) {
  LoadResult result;
  std::vector<ProfileSpec> chain;  // most derived first
  std::vector<std::string> seen;
  std::string next(name_or_path);
  std::string relative_to;
  std::optional<SourceLocation> asked_at;
  while (!next.empty()) {
    auto path = Locate(next, host, relative_to);
    if (!path) {
      Error e = path.error();
      if (asked_at) e.where = asked_at;
      result.errors.push_back(std::move(e));
      return result;
    }
    for (const std::string& s : seen) {
      if (s == *path) {
        Error e = MakeError("profile " + *path + " extends itself through the chain");
        e.hint = "remove one of the `extends` in: " + [&] {
          std::string c;
          for (const auto& p : seen) c += p + " -> ";
          return c + *path;
        }();
        if (asked_at) e.where = asked_at;
        result.errors.push_back(std::move(e));
        return result;
      }
    }
    seen.push_back(*path);
    std::ifstream in(*path);
    if (!in) {
      result.errors.push_back(MakeError("cannot read profile " + *path, errno));
      return result;
    }
    std::stringstream text;
    text << in.rdbuf();
    ParseResult parsed = Parse(text.str(), *path, host);
    for (auto& e : parsed.errors) result.errors.push_back(std::move(e));
    parsed.spec.path = *path;
    chain.push_back(std::move(parsed.spec));
    next = parsed.extends;
    relative_to = DirName(*path);
    asked_at = parsed.extends_where;
  }
  ProfileSpec merged = std::move(chain.back());
  merged.chain = {merged.path};
  for (size_t i = chain.size() - 1; i-- > 0;) MergeInto(merged, std::move(chain[i]));
  merged.name = std::string(name_or_path);
  result.spec = std::move(merged);
  return result;
}

}  // namespace sandbox::profile

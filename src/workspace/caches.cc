#include "workspace/caches.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace sandbox::workspace {
namespace {

constexpr const char* kRunOnly = "tmpfs, this run only";
constexpr const char* kHostShared = "the host's cache, read-write";
constexpr const char* kOwn = "the sandbox's own cache";
constexpr const char* kOwnOverHost = "the sandbox's own cache over the host's (read-only beneath)";

// Opens (creating 0700 if missing) directory `name` beneath `dir`, never through a symlink,
// and checks it belongs to `uid` and is not open to others.
Result<UniqueFd> OwnedDir(int dir, const std::string& name, const std::string& path, uid_t uid) {
  if (::mkdirat(dir, name.c_str(), 0700) != 0 && errno != EEXIST) {
    return MakeError("cannot create cache directory " + path, errno);
  }
  UniqueFd fd(::openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return MakeError("cannot open cache directory " + path + " (not a directory?)", errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return MakeError("cannot stat " + path, errno);
  if (st.st_uid != uid || (st.st_mode & 022) != 0) {
    Error e = MakeError("cache directory " + path + " is not yours alone (owner " +
                        std::to_string(st.st_uid) + ", or writable by others)");
    e.hint = "remove it, or chmod go-w it if it is yours";
    return e;
  }
  return fd;
}

cli::MountRequest Request(MountKind kind, const std::string& source, const std::string& target,
                          const cli::CacheRequest& cache) {
  cli::MountRequest m;
  m.kind = kind;
  m.source = source;
  m.target = target;
  m.flag = "cache " + cache.name + " (" + cache.origin + ")";
  return m;
}

bool IsDir(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

Result<void> MakeDirs(const std::string& path) {
  if (path.empty() || path[0] != '/') return MakeError("not an absolute path: " + path);
  for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
    std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return MakeError("cannot create " + prefix, errno);
    }
    if (slash == std::string::npos) break;
  }
  return {};
}

bool CacheInPrivateTmp(const cli::CacheRequest& cache, CacheUse* use) {
  if (cache.target != "/tmp" && cache.target.rfind("/tmp/", 0) != 0) return false;
  use->name = cache.name;
  use->target = cache.target;
  use->share = "run";
  use->how = "this run only, in the job's private TMPDIR (--isolation landlock)";
  return true;
}

Result<CacheUse> PrepareCache(const cli::CacheRequest& cache, const std::string& cache_home,
                              uid_t uid, bool create, std::vector<cli::MountRequest>* mounts,
                              std::vector<UniqueFd>* locks, std::vector<std::string>* notes) {
  CacheUse use;
  use.name = cache.name;
  use.target = cache.target;
  use.share = cache.share;
  if (!create) {  // `show`: the same words, no directories, no mounts (their sources may not exist)
    std::string dir = cache_home.empty() ? "" : cache_home + "/sandbox/caches/" + cache.name;
    bool has_host = IsDir(cache.host);
    if (cache.share == "run") {
      use.how = kRunOnly;
    } else if (cache.share == "host") {
      use.host = cache.host;
      use.how = kHostShared;
    } else {
      use.dir = dir.empty() ? "" : dir + "/data";
      use.host = has_host ? cache.host : "";
      use.how = has_host ? kOwnOverHost : kOwn;
    }
    return use;
  }
  if (cache.share == "run") {
    use.how = kRunOnly;
    mounts->push_back(Request(MountKind::kTmpfs, "", cache.target, cache));
    mounts->back().mode = 0755;
    return use;
  }
  if (cache.share == "host") {
    if (auto made = MakeDirs(cache.host); !made) return made.error();
    use.host = cache.host;
    use.how = kHostShared;
    mounts->push_back(Request(MountKind::kBind, cache.host, cache.target, cache));
    return use;
  }
  // No home to keep it in (a service user such as nobody): the cache lasts the run, and the
  // run says so rather than keeping nothing silently.
  Result<void> home_ok =
      cache_home.empty()
          ? Result<void>(MakeError("no usable home (XDG_CACHE_HOME unset and HOME not an existing "
                                   "directory)"))
          : MakeDirs(cache_home);
  if (!home_ok) {
    use.share = "run";
    use.how = kRunOnly;
    notes->push_back("cache " + cache.name +
                     " is kept for this run only: " + home_ok.error().ToString());
    mounts->push_back(Request(MountKind::kTmpfs, "", cache.target, cache));
    mounts->back().mode = 0755;
    return use;
  }
  std::string path = cache_home + "/sandbox/caches/" + cache.name;
  use.dir = path + "/data";
  UniqueFd dir(::open(cache_home.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return MakeError("cannot open " + cache_home, errno);
  std::string made = cache_home;
  for (const char* part : {"sandbox", "caches", cache.name.c_str()}) {
    made += std::string("/") + part;
    auto next = OwnedDir(dir.get(), part, made, uid);
    if (!next) return next.error();
    dir = std::move(next).value();
  }
  for (const char* part : {"data", "work"}) {
    auto sub = OwnedDir(dir.get(), part, path + "/" + part, uid);
    if (!sub) return sub.error();
  }
  if (!IsDir(cache.host)) {
    use.how = kOwn;
    mounts->push_back(Request(MountKind::kBind, use.dir, cache.target, cache));
    return use;
  }
  use.host = cache.host;
  cli::MountRequest overlay = Request(MountKind::kOverlay, "", cache.target, cache);
  overlay.layers = {cache.host};
  UniqueFd lock(::openat(dir.get(), ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (lock && ::flock(lock.get(), LOCK_EX | LOCK_NB) == 0) {
    use.how = kOwnOverHost;
    overlay.upper = use.dir;
    overlay.work = path + "/work";
    locks->push_back(std::move(lock));
  } else {
    use.how = "in use by another run: the sandbox's and the host's, writes discarded";
    overlay.kind = MountKind::kTmpOverlay;
    overlay.layers.push_back(use.dir);
    notes->push_back("cache " + cache.name +
                     " is in use by another run: this run sees it, its writes are not kept");
  }
  mounts->push_back(std::move(overlay));
  return use;
}

}  // namespace sandbox::workspace

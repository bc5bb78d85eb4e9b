// Finding profiles, following `extends`, merging the chain.
#include "profile/load.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>

#include "common/canonical_path.h"
#include "profile/compose.h"
#include "profile/merge.h"

namespace sandbox::profile {
namespace {

constexpr off_t kMaxProfileBytes = off_t{1} << 20;

struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool operator==(const FileId&) const = default;
};

std::optional<FileId> RegularFileId(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

// `rel` under `dir`, without "./" noise; `rel` itself when absolute or `dir` is empty.
std::string JoinPath(std::string_view dir, std::string_view rel) {
  while (rel.starts_with("./")) rel.remove_prefix(2);
  if (rel.starts_with("/") || dir.empty()) return std::string(rel);
  std::string out(dir);
  if (out.back() != '/') out += '/';
  out += rel;
  return out;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Locate, relative to `base_dir`, never answering the file `skip`. `beside`: a bare name is
// looked for in `base_dir` first (an `extends` finds its base next to the extending file, so
// an installed profile never inherits from a same-named file in the caller's directories).
Result<std::string> LocateFrom(std::string_view name_or_path, const HostContext& host,
                               std::string_view base_dir, std::optional<FileId> skip,
                               bool beside = false) {
  std::string name(name_or_path);
  if (name.empty()) {
    Error e = MakeError("empty profile name");
    e.hint = "give a name such as \"base\", or a path";
    return e;
  }
  std::vector<std::string> tried;
  const bool has_slash = name.find('/') != std::string::npos;
  if (has_slash || name.ends_with(".toml")) {
    std::string path = JoinPath(base_dir, name);
    if (auto id = RegularFileId(path); id && (!skip || *id != *skip)) return path;
    if (has_slash) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) return MakeError("cannot read profile " + path, errno);
      if (!S_ISREG(st.st_mode)) return MakeError("profile " + path + " is not a regular file");
      return MakeError("profile " + path + " cannot extend itself");
    }
    tried.push_back(path);
    name.resize(name.size() - 5);
    if (name.empty()) return MakeError("empty profile name in \".toml\"");
  }
  bool skipped = false;
  std::vector<std::string> dirs = host.search_dirs;
  if (beside && !base_dir.empty()) dirs.insert(dirs.begin(), std::string(base_dir));
  for (const std::string& dir : dirs) {
    std::string path = JoinPath(dir, name + ".toml");
    auto id = RegularFileId(path);
    if (id && skip && *id == *skip) {
      skipped = true;
      continue;
    }
    if (id) return path;
    tried.push_back(path);
  }
  Error e = MakeError("profile \"" + name + "\" not found");
  e.hint =
      tried.empty() ? "no profile directories are configured; give a path" : "looked for " + [&] {
        std::string list;
        for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
        return list;
      }();
  if (skipped) e.hint += " (a profile extending its own name skips its own file)";
  return e;
}

// A profile decides what the sandbox shows and allows: only the caller and root may be able to
// change it. Refuses a file, or any directory above it, that belongs to another user or that
// its group or others may write (a sticky directory such as /tmp excepted: there others cannot
// replace what is not theirs).
// Inside a user namespace that does not map them (unshare -r, a sandbox in a sandbox), the
// host's root and every other user outside show as one uid, the overflow uid: the caller
// cannot tell them apart. A directory above the profile with that owner is accepted (else no
// profile would ever pass there: / is one), and so is a profile in the installation's own
// directory beside the binary, whose owner installed the binary too; any other profile file
// must still be the caller's or root's of the namespace (docs/design-decisions.md).
Result<void> CheckTrusted(const std::string& path, const struct stat& file,
                          const HostContext& host) {
  std::string canonical = CanonicalPath(path);
  if (canonical.empty()) return MakeError("cannot read profile " + path, errno);
  // Asked only of a profile file of an unmapped owner: the start-up of every other run pays
  // no realpath per installed directory.
  auto installed = [&] {
    return std::any_of(host.installed_dirs.begin(), host.installed_dirs.end(),
                       [&](const std::string& d) {
                         std::string dir = CanonicalPath(d);
                         return !dir.empty() && DirName(canonical) == dir;
                       });
  };
  auto untrusted = [&](const std::string& what, const struct stat& st) -> std::optional<Error> {
    bool unmapped = host.unmapped_owner && st.st_uid == *host.unmapped_owner;
    bool owner_ok = st.st_uid == host.uid || st.st_uid == 0 ||
                    (unmapped && (S_ISDIR(st.st_mode) || installed()));
    bool sticky_dir = S_ISDIR(st.st_mode) && (st.st_mode & S_ISVTX) != 0;
    bool writable_by_others = (st.st_mode & 022) != 0 && !sticky_dir;
    if (owner_ok && !writable_by_others) return std::nullopt;
    Error e = MakeError("profile " + path + " is not safe: " + what +
                        (owner_ok ? " is writable by its group or others"
                                  : " belongs to uid " + std::to_string(st.st_uid)));
    e.hint = owner_ok ? "chmod go-w " + what
             : unmapped
                 ? "its owner is not mapped in this user namespace (uid " +
                       std::to_string(st.st_uid) +
                       " stands for every user outside it); copy the profile into a directory "
                       "of yours"
                 : "copy the profile somewhere only you (or root) can change";
    return e;
  };
  if (auto e = untrusted(path, file)) return *e;
  std::string dir = canonical;
  while (dir.size() > 1) {
    dir = DirName(dir);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return MakeError("cannot read profile " + path, errno);
    if (auto e = untrusted(dir, st)) return *e;
  }
  return {};
}

// The whole file, refusing non-regular files, anything over kMaxProfileBytes and files others
// could have changed (CheckTrusted).
Result<std::string> ReadProfile(const std::string& path, const HostContext& host, FileId* id) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return MakeError("cannot read profile " + path, errno);
  struct stat st {};
  Result<std::string> out = std::string();
  if (::fstat(fd, &st) != 0) {
    out = MakeError("cannot read profile " + path, errno);
  } else if (!S_ISREG(st.st_mode)) {
    out = MakeError("profile " + path + " is not a regular file");
  } else if (st.st_size > kMaxProfileBytes) {
    out = MakeError("profile " + path + " is larger than 1 MiB");
  } else if (auto trusted = CheckTrusted(path, st, host); !trusted) {
    out = trusted.error();
  } else {
    *id = FileId{st.st_dev, st.st_ino};
    char buf[8192];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        out = MakeError("cannot read profile " + path, errno);
        break;
      }
      if (n == 0) break;
      out->append(buf, static_cast<size_t>(n));
      if (out->size() > static_cast<size_t>(kMaxProfileBytes)) {
        out = MakeError("profile " + path + " is larger than 1 MiB");
        break;
      }
    }
  }
  ::close(fd);
  return out;
}

// Line `line` (1-based) of `text`, for an error's excerpt.
std::string LineOf(std::string_view text, int line) {
  size_t start = 0;
  for (int i = 1; i < line; ++i) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return "";
    ++start;
  }
  size_t end = text.find('\n', start);
  std::string_view out = text.substr(start, end == std::string_view::npos ? end : end - start);
  if (out.ends_with('\r')) out.remove_suffix(1);
  return std::string(out);
}

// `e` placed at the `extends` value that led to it.
Error AtExtends(Error e, const SourceLocation& where, std::string_view text) {
  e.where = where;
  e.excerpt = LineOf(text, where.line);
  return e;
}

// The files of one profile's `extends` chain, unmerged, root first, with every error met.
struct ChainFiles {
  std::vector<ProfileSpec> files;  // root first
  std::vector<std::string> keys;   // each file's identity: its real path
  std::vector<Error> errors;
};

ChainFiles LoadChainFiles(std::string_view name_or_path, const HostContext& host) {
  ChainFiles result;
  auto first = LocateFrom(name_or_path, host, host.cwd, std::nullopt);
  if (!first) {
    result.errors.push_back(std::move(first.error()));
    return result;
  }
  std::vector<ProfileSpec> chain;  // most derived first
  std::vector<FileId> seen;
  std::string path = *first;
  std::string previous_text;            // the file whose `extends` led to `path`
  std::optional<SourceLocation> asked;  // where it said so
  for (;;) {
    auto at_extends = [&](Error e) {
      return asked ? AtExtends(std::move(e), *asked, previous_text) : std::move(e);
    };
    FileId id;
    auto text = ReadProfile(path, host, &id);
    if (!text) {
      result.errors.push_back(at_extends(std::move(text.error())));
      break;
    }
    if (std::find(seen.begin(), seen.end(), id) != seen.end()) {
      std::string cycle;
      for (auto it = chain.begin(); it != chain.end(); ++it) cycle += it->path + " -> ";
      result.errors.push_back(at_extends(MakeError("\"extends\" forms a cycle: " + cycle + path)));
      break;
    }
    seen.push_back(id);
    ParseResult parsed = Parse(*text, path, host);
    for (Error& e : parsed.errors) result.errors.push_back(std::move(e));
    chain.push_back(std::move(parsed.spec));
    const auto& extends = chain.back().extends;
    if (!extends) break;
    auto next = LocateFrom(extends->value, host, DirName(path), id, /*beside=*/true);
    if (!next) {
      result.errors.push_back(AtExtends(std::move(next.error()), extends->where, *text));
      break;
    }
    asked = extends->where;
    previous_text = std::move(text).value();
    path = std::move(next).value();
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    std::string real = CanonicalPath(it->path);
    result.keys.push_back(real.empty() ? it->path : real);
    result.files.push_back(std::move(*it));
  }
  return result;
}

LoadResult LoadChain(std::string_view name_or_path, const HostContext& host) {
  LoadResult result;
  ChainFiles chain = LoadChainFiles(name_or_path, host);
  result.errors = std::move(chain.errors);
  if (chain.files.empty()) return result;
  ProfileSpec merged = std::move(chain.files.front());
  for (size_t i = 1; i < chain.files.size(); ++i) MergeInto(merged, std::move(chain.files[i]));
  merged.name = std::string(name_or_path);
  merged.names = {merged.name};
  result.spec = std::move(merged);
  return result;
}

// Every profile's chain loaded (all errors of all of them), then composed left to right.
LoadResult LoadComposed(const std::vector<std::string>& names, const HostContext& host) {
  LoadResult result;
  std::vector<ComposePart> parts;
  for (const std::string& name : names) {
    ChainFiles chain = LoadChainFiles(name, host);
    for (Error& e : chain.errors) result.errors.push_back(std::move(e));
    parts.push_back(ComposePart{name, std::move(chain.files), std::move(chain.keys)});
  }
  if (!result.errors.empty()) return result;
  auto composed = Compose(std::move(parts));
  if (!composed) {
    result.errors.push_back(std::move(composed.error()));
    return result;
  }
  result.spec = std::move(composed).value();
  return result;
}

}  // namespace

Result<std::string> Locate(std::string_view name_or_path, const HostContext& host) {
  try {
    return LocateFrom(name_or_path, host, host.cwd, std::nullopt);
  } catch (const std::exception& e) {
    return MakeError(std::string("cannot locate profile: ") + e.what());
  }
}

Result<ProfileSpec> LoadResult::TakeSpec() && {
  if (!errors.empty()) return std::move(errors.front());
  return std::move(spec);
}

LoadResult Load(std::string_view name_or_path, const HostContext& host) {
  try {
    return LoadChain(name_or_path, host);
  } catch (const std::exception& e) {
    LoadResult result;
    result.errors.push_back(
        MakeError("cannot load profile " + std::string(name_or_path) + ": " + e.what()));
    return result;
  }
}

LoadResult LoadAll(const std::vector<std::string>& names_or_paths, const HostContext& host) {
  if (names_or_paths.size() == 1) return Load(names_or_paths.front(), host);
  try {
    return LoadComposed(names_or_paths, host);
  } catch (const std::exception& e) {
    LoadResult result;
    result.errors.push_back(MakeError(std::string("cannot load profiles: ") + e.what()));
    return result;
  }
}

}  // namespace sandbox::profile

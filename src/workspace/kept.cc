#include "workspace/kept.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "common/syscalls.h"
#include "common/write_all.h"
#include "workspace/apply.h"
#include "workspace/caches.h"
#include "workspace/chunk_buffer.h"

namespace sandbox::workspace {
namespace {

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '%' || c == '\t' || c == '\n' || c == '\\' || c == '\r') {
      char hex[4];
      std::snprintf(hex, sizeof(hex), "%%%02X", static_cast<unsigned char>(c));
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

std::string Unescape(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out += static_cast<char>(std::strtol(text.substr(i + 1, 2).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string::npos ? at : at - start));
    if (at == std::string::npos) return parts;
    start = at + 1;
  }
}

// A directory of the caller's alone: created 0700 if missing, never through a symlink.
Result<UniqueFd> OwnDir(int parent, const std::string& name, const std::string& path) {
  if (::mkdirat(parent, name.c_str(), 0700) != 0 && errno != EEXIST) {
    return MakeError("cannot create " + path, errno);
  }
  UniqueFd fd(::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) return MakeError("cannot open " + path, errno);
  if (st.st_uid != ::getuid() || (st.st_mode & 077) != 0) {
    Error e = MakeError(path + " is not yours alone (owner or mode)");
    e.hint = "chmod 700 it if it is yours";
    return e;
  }
  return fd;
}

// Opens (creating) the directories of `path` under `root`, never through a symlink.
Result<UniqueFd> ParentIn(int root, const std::string& path) {
  UniqueFd dir(::fcntl(root, F_DUPFD_CLOEXEC, 3));
  std::vector<std::string> parts = Split(path, '/');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (::mkdirat(dir.get(), parts[i].c_str(), 0700) != 0 && errno != EEXIST) {
      return MakeError("cannot create " + path, errno);
    }
    UniqueFd next(
        ::openat(dir.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return MakeError("cannot open the directory of " + path, errno);
    dir = std::move(next);
  }
  return dir;
}

Result<void> CopyFile(int upper, int files, const Change& c) {
  int fd;
  do {
    fd = sys::OpenAt2(upper, c.path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC, kBeneath);
  } while (fd < 0 && errno == EAGAIN);
  UniqueFd in(fd);
  if (!in) return MakeError("cannot read the job's " + c.path, errno);
  auto parent = ParentIn(files, c.path);
  if (!parent) return parent.error();
  std::string leaf = c.path.substr(c.path.rfind('/') + 1);
  UniqueFd out(::openat(parent->get(), leaf.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out) return MakeError("cannot keep " + c.path, errno);
  // copy_file_range: a kernel-side copy where the filesystems allow it, read/write otherwise.
  for (;;) {
    ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, size_t{1} << 30, 0);
    if (n == 0) return {};
    if (n > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP && errno != ENOSYS) {
      return MakeError("cannot keep " + c.path, errno);
    }
    break;
  }
  char* buffer = ChunkBuffer();
  for (;;) {
    ssize_t n = ::read(in.get(), buffer, kChunkSize);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError("cannot read the job's " + c.path, errno);
    if (n == 0) return {};
    if (!WriteAll(out.get(), std::string_view(buffer, static_cast<size_t>(n)))) {
      return MakeError("cannot keep " + c.path, errno);
    }
  }
}

Result<std::string> ReadAt(int dir, const char* name) {
  UniqueFd fd(::openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return MakeError(std::string("cannot read ") + name, errno);
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(std::string("cannot read ") + name, errno);
    if (n == 0) return text;
    text.append(buffer, static_cast<size_t>(n));
  }
}

Result<void> WriteAt(int dir, const char* name, const std::string& text) {
  UniqueFd fd(::openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd || !WriteAll(fd.get(), text))
    return MakeError(std::string("cannot write ") + name, errno);
  return {};
}

}  // namespace

std::string KeptRunsDir() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state != nullptr && state[0] == '/') return std::string(state) + "/sandbox/runs";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return std::string(home) + "/.local/state/sandbox/runs";
  return "";
}

std::string EncodeChanges(const std::vector<Change>& changes) {
  std::string out;
  for (const Change& c : changes) {
    std::string flags;
    for (const std::string& f : c.flags) flags += (flags.empty() ? "" : ",") + f;
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", c.mode & 07777);
    for (const std::string& field : {c.change, c.type, std::string(mode), std::to_string(c.size),
                                     c.sha256, c.base_sha256, flags, c.link}) {
      out += Escape(field) + "\t";
    }
    out += Escape(c.path) + "\n";
  }
  return out;
}

Result<std::vector<Change>> DecodeChanges(const std::string& text) {
  std::vector<Change> changes;
  size_t line_number = 0;
  for (const std::string& line : Split(text, '\n')) {
    ++line_number;
    if (line.empty()) continue;
    std::vector<std::string> f = Split(line, '\t');
    if (f.size() != 9) {
      return MakeError("the kept change list is damaged at line " + std::to_string(line_number));
    }
    Change c;
    c.change = Unescape(f[0]);
    c.type = Unescape(f[1]);
    c.mode = static_cast<unsigned>(std::strtoul(f[2].c_str(), nullptr, 8)) & 07777;
    c.size = std::strtoull(f[3].c_str(), nullptr, 10);
    c.sha256 = Unescape(f[4]);
    c.base_sha256 = Unescape(f[5]);
    if (!f[6].empty()) c.flags = Split(Unescape(f[6]), ',');
    c.link = Unescape(f[7]);
    c.path = Unescape(f[8]);
    changes.push_back(std::move(c));
  }
  return changes;
}

Result<std::string> KeepChanges(const std::string& runs_dir, const std::string& name,
                                const std::string& checkout, int upper,
                                const std::vector<Change>& changes) {
  if (runs_dir.empty()) return MakeError("neither XDG_STATE_HOME nor HOME is set");
  if (auto made = MakeDirs(runs_dir); !made) return made.error();
  UniqueFd runs(::open(runs_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!runs) return MakeError("cannot open " + runs_dir, errno);
  std::string dir = runs_dir + "/" + name;
  if (::mkdirat(runs.get(), name.c_str(), 0700) != 0) {
    return MakeError("cannot keep the changes in " + dir, errno);
  }
  auto run = OwnDir(runs.get(), name, dir);
  if (!run) return run.error();
  auto files = OwnDir(run->get(), "files", dir + "/files");
  if (!files) return files.error();
  for (const Change& c : changes) {
    if (c.change == "deleted") continue;
    if (c.type == "dir") {
      auto parent = ParentIn(files->get(), c.path + "/x");
      if (!parent) return parent.error();
    } else if (c.type == "file") {
      if (auto r = CopyFile(upper, files->get(), c); !r) return r.error();
    }
  }
  if (auto r = WriteAt(run->get(), "changes", EncodeChanges(changes)); !r) return r.error();
  if (auto r = WriteAt(run->get(), "checkout", checkout + "\n"); !r) return r.error();
  return dir;
}

Result<KeptRun> LoadKept(const std::string& runs_dir, const std::string& name) {
  KeptRun kept;
  kept.name = name;
  std::string dir = runs_dir + "/" + name;
  UniqueFd run(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!run) {
    Error e = MakeError("no kept changes named " + name + " in " + runs_dir, errno);
    e.hint = "sandbox ps --all lists them";
    return e;
  }
  auto checkout = ReadAt(run.get(), "checkout");
  if (!checkout) return checkout.error();
  kept.checkout = checkout->substr(0, checkout->find('\n'));
  auto text = ReadAt(run.get(), "changes");
  if (!text) return text.error();
  auto changes = DecodeChanges(*text);
  if (!changes) return changes.error();
  kept.changes = std::move(changes).value();
  kept.files.Reset(::openat(run.get(), "files", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!kept.files) return MakeError("cannot open " + dir + "/files", errno);
  return kept;
}

std::vector<std::string> KeptNames(const std::string& runs_dir) {
  std::vector<std::string> names;
  std::unique_ptr<DIR, int (*)(DIR*)> stream(::opendir(runs_dir.c_str()), &::closedir);
  if (!stream) return names;
  while (struct dirent* e = ::readdir(stream.get())) {
    if (e->d_name[0] != '.') names.emplace_back(e->d_name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<void> DiscardKept(const std::string& runs_dir, const std::string& name) {
  UniqueFd runs(::open(runs_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!runs || ::fstatat(runs.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return MakeError("no kept changes named " + name + " in " + runs_dir);
  }
  return RemoveTree(runs.get(), name);
}

}  // namespace sandbox::workspace

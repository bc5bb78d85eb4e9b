#include "bwrap/args.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <deque>

#include "common/units.h"

namespace sandbox::bwrap {
namespace {

constexpr const char* kHelp =
    " [OPTIONS...] [--] COMMAND [ARGS...]\n\n"
    "sandbox's bubblewrap-compatible mode (see docs/bwrap-compat.md). Supported:\n"
    "    --help --version --args FD --unshare-all --share-net --unshare-user[-try]\n"
    "    --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup[-try]\n"
    "    --uid UID --gid GID --hostname NAME --chdir DIR --setenv VAR VALUE --unsetenv VAR\n"
    "    --clearenv --bind[-try] SRC DEST --ro-bind[-try] SRC DEST --dev-bind[-try] SRC DEST\n"
    "    --remount-ro DEST --proc DEST --dev DEST --tmpfs DEST --dir DEST --file FD DEST\n"
    "    --bind-data FD DEST --ro-bind-data FD DEST --symlink SRC DEST --perms OCTAL\n"
    "    --size BYTES --new-session --die-with-parent --as-pid-1 --sync-fd FD --level-prefix\n"
    "    --info-fd FD --json-status-fd FD --lock-file DEST --argv0 VALUE --bind-fd FD DEST\n"
    "    --ro-bind-fd FD DEST\n";

// Options bubblewrap has that this mode does not implement yet: refused by name, never
// silently ignored.
constexpr const char* kNotYet[] = {"--userns",
                                   "--userns2",
                                   "--pidns",
                                   "--disable-userns",
                                   "--assert-userns-disabled",
                                   "--mqueue",
                                   "--chmod",

                                   "--cap-add",
                                   "--cap-drop",
                                   "--seccomp",
                                   "--add-seccomp-fd",

                                   "--block-fd",
                                   "--userns-block-fd",

                                   "--overlay-src",
                                   "--overlay",
                                   "--tmp-overlay",
                                   "--ro-overlay"};

bool ParseNumber(const std::string& text, long long* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

class Parser {
 public:
  Parser(const std::string& program, const std::vector<std::string>& args, uid_t uid, gid_t gid,
         const FdReader& read_fd)
      : program_(program), args_(args.begin(), args.end()), read_fd_(read_fd) {
    cli::CliOptions& o = parsed_.options;
    o.bwrap.emplace();
    o.keep_env = true;  // bubblewrap passes the environment on
    o.uid = uid;        // and keeps the caller's ids
    o.gid = gid;
    o.landlock = "off";
    o.seccomp_policy = "none";
  }

  Result<Parsed> Run() {
    cli::CliOptions& o = parsed_.options;
    while (!args_.empty()) {
      std::string arg = Take();
      if (arg == "--") break;
      if (arg.size() < 2 || arg[0] != '-') {
        args_.push_front(arg);
        break;
      }
      if (arg == "--help") {
        parsed_.exit_now = 0;
        parsed_.text = "usage: " + program_ + kHelp;
        return parsed_;
      }
      if (arg == "--version") {
        parsed_.exit_now = 0;
        parsed_.text = std::string("bubblewrap 0.11.1 (sandbox ") + SANDBOX_VERSION + ")\n";
        return parsed_;
      }
      if (auto r = Option(arg); !r) return r.error();
    }
    o.command.assign(args_.begin(), args_.end());
    if (o.command.empty()) return MakeError("No command specified");
    if (o.hostname && !o.bwrap->unshare_uts) {
      return MakeError("Specifying --hostname requires --unshare-uts");
    }
    if (o.bwrap->as_pid_1 && !o.bwrap->unshare_pid) {
      return MakeError("Specifying --as-pid-1 requires --unshare-pid");
    }
    if (pending_size_ || pending_perms_) {
      return MakeError(pending_size_
                           ? "--size must be followed by --tmpfs"
                           : "--perms must be followed by an operation that creates a file");
    }
    return parsed_;
  }

 private:
  std::string Take() {
    std::string a = std::move(args_.front());
    args_.pop_front();
    return a;
  }

  Result<std::string> Value(const std::string& option) {
    if (args_.empty()) return MakeError(option + " takes an argument");
    return Take();
  }

  Result<int> Fd(const std::string& option) {
    auto v = Value(option);
    if (!v) return v.error();
    long long fd = -1;
    if (!ParseNumber(*v, &fd) || fd < 0 || fd > 1 << 20) return MakeError("Invalid fd: " + *v);
    return static_cast<int>(fd);
  }

  void Mount(MountKind kind, const std::string& option, std::string source, std::string target,
             bool optional = false) {
    cli::MountRequest r;
    r.kind = kind;
    r.source = std::move(source);
    r.target = std::move(target);
    r.optional = optional;
    r.flag = option + (r.source.empty() ? "" : " " + r.source) + " " + r.target;
    if (kind == MountKind::kTmpfs) r.size_bytes = std::exchange(pending_size_, std::nullopt);
    if (kind == MountKind::kTmpfs || kind == MountKind::kDir || kind == MountKind::kFile) {
      r.mode = std::exchange(pending_perms_, std::nullopt);
    }
    mount_content_ = &parsed_.options.mounts.emplace_back(std::move(r)).content;
  }

  Result<void> Option(const std::string& arg) {
    cli::CliOptions& o = parsed_.options;
    cli::CliOptions::Bwrap& b = *o.bwrap;
    for (const char* name : kNotYet) {
      if (arg == name) {
        return MakeError(arg +
                         " is not supported by sandbox's bwrap mode yet (docs/bwrap-compat.md)");
      }
    }
    if (arg == "--args") {
      auto fd = Fd(arg);
      if (!fd) return fd.error();
      auto data = read_fd_(*fd);
      if (!data) return data.error();
      // NUL-separated, inserted where --args stood.
      std::vector<std::string> more;
      size_t start = 0;
      while (start < data->size()) {
        size_t end = data->find('\0', start);
        if (end == std::string::npos) end = data->size();
        more.push_back(data->substr(start, end - start));
        start = end + 1;
      }
      args_.insert(args_.begin(), more.begin(), more.end());
      return {};
    }
    if (arg == "--unshare-all") {
      b.unshare_pid = b.unshare_ipc = b.unshare_uts = b.unshare_net = b.unshare_cgroup = true;
      return {};
    }
    if (arg == "--share-net") {
      b.unshare_net = false;
      return {};
    }
    // A user namespace is how this mode works at all; asking for one changes nothing.
    if (arg == "--unshare-user" || arg == "--unshare-user-try") return {};
    if (arg == "--unshare-pid") return Set(b.unshare_pid);
    if (arg == "--unshare-ipc") return Set(b.unshare_ipc);
    if (arg == "--unshare-uts") return Set(b.unshare_uts);
    if (arg == "--unshare-net") return Set(b.unshare_net);
    if (arg == "--unshare-cgroup" || arg == "--unshare-cgroup-try") return Set(b.unshare_cgroup);
    if (arg == "--new-session") return Set(b.new_session);
    if (arg == "--die-with-parent") return Set(b.die_with_parent);
    if (arg == "--level-prefix") return Set(parsed_.level_prefix);
    if (arg == "--uid" || arg == "--gid") {
      auto v = Value(arg);
      if (!v) return v.error();
      long long id = -1;
      if (!ParseNumber(*v, &id) || id < 0 || id >= 4294967295LL) {
        return MakeError("Invalid " + std::string(arg == "--uid" ? "uid" : "gid") + ": " + *v);
      }
      if (arg == "--uid") {
        o.uid = static_cast<uid_t>(id);
      } else {
        o.gid = static_cast<gid_t>(id);
      }
      return {};
    }
    if (arg == "--hostname" || arg == "--chdir") {
      auto v = Value(arg);
      if (!v) return v.error();
      auto& slot = arg == "--hostname" ? o.hostname : o.chdir;
      if (slot && arg == "--chdir")
        parsed_.warnings.push_back("Only the last --chdir option will take effect");
      slot = *v;
      return {};
    }
    if (arg == "--setenv") {
      auto name = Value(arg);
      if (!name) return name.error();
      auto value = Value(arg);
      if (!value) return value.error();
      o.env.push_back({cli::EnvRequest::Op::kSet, *name, *value});
      return {};
    }
    if (arg == "--unsetenv") {
      auto name = Value(arg);
      if (!name) return name.error();
      o.env.push_back({cli::EnvRequest::Op::kUnset, *name, ""});
      return {};
    }
    if (arg == "--clearenv") {
      o.env.push_back({cli::EnvRequest::Op::kClear, "", ""});
      return {};
    }
    if (arg == "--as-pid-1") return Set(b.as_pid_1);
    if (arg == "--argv0") {
      auto value = Value(arg);
      if (!value) return value.error();
      b.argv0 = *value;
      return {};
    }
    if (arg == "--bind-fd" || arg == "--ro-bind-fd") {
      // The directory the descriptor names, bound like a path (resolved now, in the parent).
      auto fd = Fd(arg);
      if (!fd) return fd.error();
      auto target = Value(arg);
      if (!target) return target.error();
      char buf[4096];
      std::string link = "/proc/self/fd/" + std::to_string(*fd);
      ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf) - 1);
      if (n <= 0 || buf[0] != '/') return MakeError("Invalid fd: " + std::to_string(*fd));
      Mount(arg == "--bind-fd" ? MountKind::kBind : MountKind::kReadOnlyBind, arg,
            std::string(buf, static_cast<size_t>(n)), *target);
      ::close(*fd);
      return {};
    }
    if (arg == "--lock-file") {
      auto path = Value(arg);
      if (!path) return path.error();
      b.lock_files.push_back(*path);
      return {};
    }
    if (arg == "--info-fd" || arg == "--json-status-fd") {
      auto fd = Fd(arg);
      if (!fd) return fd.error();
      (arg == "--info-fd" ? b.info_fd : b.json_status_fd) = *fd;
      return {};
    }
    if (arg == "--sync-fd") {
      auto fd = Fd(arg);
      if (!fd) return fd.error();
      o.pass_fds.push_back(*fd);
      return {};
    }
    if (arg == "--size" || arg == "--perms") {
      auto v = Value(arg);
      if (!v) return v.error();
      if (arg == "--size") {
        if (pending_size_) return MakeError("--size passed multiple times");
        auto size = ParseSize(*v);
        // bubblewrap's limit: SIZE_MAX / 2.
        if (!size || *size == 0 || *size > (UINT64_MAX >> 1))
          return MakeError("Invalid size " + *v);
        pending_size_ = *size;
      } else {
        if (pending_perms_) return MakeError("--perms passed multiple times");
        auto mode = ParseMode(*v);
        if (!mode) return MakeError("--perms takes an octal argument, not " + *v);
        pending_perms_ = *mode;
      }
      return {};
    }
    struct TwoPath {
      const char* name;
      MountKind kind;
      bool optional;
    };
    static constexpr TwoPath kBinds[] = {{"--bind", MountKind::kBind, false},
                                         {"--bind-try", MountKind::kBind, true},
                                         {"--ro-bind", MountKind::kReadOnlyBind, false},
                                         {"--ro-bind-try", MountKind::kReadOnlyBind, true},
                                         {"--dev-bind", MountKind::kDevBind, false},
                                         {"--dev-bind-try", MountKind::kDevBind, true},
                                         {"--symlink", MountKind::kSymlink, false}};
    for (const TwoPath& t : kBinds) {
      if (arg != t.name) continue;
      auto source = Value(arg);
      if (!source) return source.error();
      auto target = Value(arg);
      if (!target) return target.error();
      Mount(t.kind, arg, *source, *target, t.optional);
      return {};
    }
    struct OnePath {
      const char* name;
      MountKind kind;
    };
    static constexpr OnePath kFresh[] = {{"--remount-ro", MountKind::kRemountReadOnly},
                                         {"--proc", MountKind::kProc},
                                         {"--dev", MountKind::kDev},
                                         {"--tmpfs", MountKind::kTmpfs},
                                         {"--dir", MountKind::kDir}};
    for (const OnePath& t : kFresh) {
      if (arg != t.name) continue;
      auto target = Value(arg);
      if (!target) return target.error();
      Mount(t.kind, arg, "", *target);
      return {};
    }
    if (arg == "--file" || arg == "--bind-data" || arg == "--ro-bind-data") {
      auto fd = Fd(arg);
      if (!fd) return fd.error();
      auto target = Value(arg);
      if (!target) return target.error();
      auto data = read_fd_(*fd);
      if (!data) return data.error();
      Mount(MountKind::kFile, arg, "", *target);
      *mount_content_ = std::move(data).value();
      if (arg == "--ro-bind-data") Mount(MountKind::kRemountReadOnly, arg, "", *target);
      return {};
    }
    return MakeError("Unknown option " + arg);
  }

  static Result<void> Set(bool& flag) {
    flag = true;
    return {};
  }

  std::string program_;
  std::deque<std::string> args_;
  const FdReader& read_fd_;
  Parsed parsed_;
  std::optional<uint64_t> pending_size_;
  std::optional<unsigned> pending_perms_;
  std::string* mount_content_ = nullptr;
};

}  // namespace

Result<Parsed> ParseArgs(const std::string& program, const std::vector<std::string>& args,
                         uid_t uid, gid_t gid, const FdReader& read_fd) {
  return Parser(program, args, uid, gid, read_fd).Run();
}

Result<std::string> ReadWholeFd(int fd) {
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return MakeError("Can't read fd " + std::to_string(fd), err);
    }
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return data;
}

}  // namespace sandbox::bwrap

#include "bwrap/args.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <deque>
#include <string_view>

#include "bwrap/capabilities.h"

#ifndef SANDBOX_BWRAP_DROPIN
#define SANDBOX_BWRAP_DROPIN "/usr/libexec/sandbox/bwrap-compat/bwrap"
#endif

namespace sandbox::bwrap {
namespace {

constexpr const char* kHelp =
    " [OPTIONS...] [--] COMMAND [ARGS...]\n\n"
    "sandbox's bubblewrap-compatible mode (docs/bwrap-compat.md): bubblewrap 0.11's options.\n"
    "  General:     --help --version --args FD --argv0 VALUE --level-prefix\n"
    "  Namespaces:  --unshare-all --share-net --unshare-user[-try] --unshare-ipc --unshare-pid\n"
    "               --unshare-net --unshare-uts --unshare-cgroup[-try] --userns FD --userns2 FD\n"
    "               --pidns FD --disable-userns --assert-userns-disabled\n"
    "               --uid UID --gid GID --hostname NAME\n"
    "  Process:     --chdir DIR --setenv VAR VALUE --unsetenv VAR --clearenv --new-session\n"
    "               --die-with-parent --as-pid-1 --cap-add CAP --cap-drop CAP\n"
    "  Filesystem:  --bind[-try] SRC DEST --dev-bind[-try] SRC DEST --ro-bind[-try] SRC DEST\n"
    "               --bind-fd FD DEST --ro-bind-fd FD DEST --remount-ro DEST\n"
    "               --overlay-src SRC --overlay RWSRC WORKDIR DEST --tmp-overlay DEST\n"
    "               --ro-overlay DEST --proc DEST --dev DEST --tmpfs DEST --mqueue DEST\n"
    "               --dir DEST --file FD DEST --bind-data FD DEST --ro-bind-data FD DEST\n"
    "               --symlink SRC DEST --chmod OCTAL PATH --perms OCTAL --size BYTES\n"
    "  Descriptors: --seccomp FD --add-seccomp-fd FD --lock-file DEST --sync-fd FD\n"
    "               --block-fd FD --userns-block-fd FD --info-fd FD --json-status-fd FD\n"
    "\n"
    "The drop-in for programs that run bwrap: " SANDBOX_BWRAP_DROPIN
    ",\n"
    "a hard link to sandbox (put its directory first in PATH), or any hard link or copy of\n"
    "sandbox named bwrap. Not a symlink: clients that resolve it before exec start sandbox\n"
    "under its own name, outside bwrap mode. `sandbox doctor` checks the bwrap PATH finds.\n";

// SELinux labels: this mode has no SELinux support, and says so rather than ignore them.
constexpr const char* kUnsupported[] = {"--exec-label", "--file-label"};

bool ParseNumber(const std::string& text, long long* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

class Parser {
 public:
  Parser(const std::string& program, const std::vector<std::string>& args, uid_t uid, gid_t gid,
         uint64_t effective_caps, const FdReader& read_fd)
      : program_(program),
        args_(args.begin(), args.end()),
        read_fd_(read_fd),
        caller_uid_(uid),
        caller_gid_(gid),
        effective_caps_(effective_caps) {
    cli::CliOptions& o = parsed_.options;
    o.bwrap.emplace();
    o.keep_env = true;  // bubblewrap passes the environment on
    o.landlock = "off";
    o.seccomp_policy = "none";
  }

  Result<Parsed> Run() {
    cli::CliOptions& o = parsed_.options;
    if (args_.empty()) return Usage();
    while (!args_.empty()) {
      std::string arg = Take();
      if (arg == "--") break;
      if (arg.empty() || arg[0] != '-') {
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
      // A modifier must be used by the operation right after it, as bubblewrap requires.
      if (arg != "--perms" && arg != "--size") {
        if (pending_perms_)
          return MakeError("--perms must be followed by an option that creates a file");
        if (pending_size_) return MakeError("--size must be followed by --tmpfs");
      }
      if (arg != "--overlay-src" && !pending_layers_.empty()) return OverlaySrcError();
    }
    if (!pending_layers_.empty()) return OverlaySrcError();
    if (seccomp_fd_) seccomp_fds_.push_back(*seccomp_fd_);
    for (int fd : seccomp_fds_) {
      if (auto r = AddSeccompProgram(fd); !r) return r.error();
    }
    o.command.assign(args_.begin(), args_.end());
    if (auto r = Check(); !r) return r.error();
    if (o.command.empty()) return Usage();
    return parsed_;
  }

 private:
  // bubblewrap's consistency rules, in its order; then its defaults: the caller's ids, and a
  // user namespace whenever the caller is not root (it is how an unprivileged run works).
  Result<void> Check() {
    cli::CliOptions& o = parsed_.options;
    cli::BwrapOptions& b = *o.bwrap;
    if (b.userns_block_fd && !b.unshare_user)
      return MakeError("--userns-block-fd requires --unshare-user");
    if (b.userns_block_fd && !b.info_fd) return MakeError("--userns-block-fd requires --info-fd");
    if (b.userns_fd && b.unshare_user) return MakeError("--userns not compatible --unshare-user");
    if (b.userns_fd && unshare_user_try_)
      return MakeError("--userns not compatible --unshare-user-try");
    if (b.disable_userns && !b.unshare_user)
      return MakeError("--disable-userns requires --unshare-user");
    if (b.disable_userns && b.userns_block_fd)
      return MakeError("--disable-userns is not compatible with  --userns-block-fd");
    if (caller_uid_ != 0 && !b.userns_fd) b.unshare_user = true;
    if (unshare_user_try_ && !b.userns_fd) b.unshare_user = true;
    if (!o.uid) o.uid = caller_uid_;
    if (!o.gid) o.gid = caller_gid_;
    if (!b.unshare_user && !b.userns_fd && *o.uid != caller_uid_)
      return MakeError("Specifying --uid requires --unshare-user or --userns");
    if (!b.unshare_user && !b.userns_fd && *o.gid != caller_gid_)
      return MakeError("Specifying --gid requires --unshare-user or --userns");
    if (o.hostname && !b.unshare_uts)
      return MakeError("Specifying --hostname requires --unshare-uts");
    if (b.as_pid_1 && !b.unshare_pid)
      return MakeError("Specifying --as-pid-1 requires --unshare-pid");
    if (b.as_pid_1 && !b.lock_files.empty())
      return MakeError("Specifying --as-pid-1 and --lock-file is not permitted");
    return {};
  }

  // No command: bubblewrap prints its usage on stderr and fails.
  Parsed Usage() {
    parsed_.exit_now = 1;
    parsed_.text_to_stderr = true;
    parsed_.text = "usage: " + program_ + kHelp;
    return parsed_;
  }

  static Error OverlaySrcError() {
    return MakeError(
        "--overlay-src must be followed by another --overlay-src or one of --overlay, "
        "--tmp-overlay, or --ro-overlay");
  }

  std::string Take() {
    std::string a = std::move(args_.front());
    args_.pop_front();
    return a;
  }

  // bubblewrap checks the count of an option's arguments before reading any of them.
  Result<void> Need(const std::string& option, size_t count) {
    if (args_.size() >= count) return {};
    static const char* kWords[] = {"", "an argument", "two arguments", "three arguments"};
    return MakeError(option + " takes " + kWords[count]);
  }

  Result<int> Fd(const std::string& text) {
    long long fd = -1;
    if (!ParseNumber(text, &fd) || fd < 0 || fd > 1 << 20) return MakeError("Invalid fd: " + text);
    return static_cast<int>(fd);
  }

  Result<int> FdOption(const std::string& option) {
    if (auto r = Need(option, 1); !r) return r.error();
    return Fd(Take());
  }

  Result<void> SetFd(const std::string& option, std::optional<int>& slot, bool warn_twice = true) {
    auto fd = FdOption(option);
    if (!fd) return fd.error();
    if (slot && warn_twice) Warn("Only the last " + option + " option will take effect");
    slot = *fd;
    return {};
  }

  void Warn(const std::string& text) { parsed_.warnings.push_back(text); }

  cli::MountRequest& Mount(MountKind kind, const std::string& option, std::string source,
                           std::string target, bool optional = false) {
    cli::MountRequest r;
    r.kind = kind;
    r.source = std::move(source);
    r.target = std::move(target);
    r.optional = optional;
    r.flag = option + (r.source.empty() ? "" : " " + r.source) + " " + r.target;
    if (kind == MountKind::kTmpfs) r.size_bytes = std::exchange(pending_size_, std::nullopt);
    return parsed_.options.mounts.emplace_back(std::move(r));
  }

  // The operations that create something take --perms, with bubblewrap's default otherwise;
  // their missing parents lose the group/other bits the operation's mode does not grant.
  void TakePerms(cli::MountRequest& r, unsigned default_mode) {
    unsigned mode = pending_perms_.value_or(default_mode);
    pending_perms_.reset();
    r.mode = mode;
    unsigned parent = 0755;
    if ((mode & 0070) == 0) parent &= ~0050u;
    if ((mode & 0007) == 0) parent &= ~0005u;
    r.parent_mode = parent;
  }

  Result<std::string> ReadFd(int fd) {
    parsed_.options.bwrap->consumed_fds.push_back(fd);
    return read_fd_(fd);
  }

  Result<unsigned> Octal(const std::string& text, const std::string& message) {
    if (text.empty() || text.size() > 5) return MakeError(message);
    unsigned value = 0;
    for (char c : text) {
      if (c < '0' || c > '7') return MakeError(message);
      value = value * 8 + static_cast<unsigned>(c - '0');
    }
    if (value > 07777) return MakeError(message);
    return value;
  }

  Result<void> Option(const std::string& arg) {
    cli::CliOptions& o = parsed_.options;
    cli::BwrapOptions& b = *o.bwrap;
    for (const char* name : kUnsupported) {
      if (arg == name) {
        return MakeError(arg + " is not supported: sandbox is built without SELinux support");
      }
    }
    if (arg == "--args") {
      auto fd = FdOption(arg);
      if (!fd) return fd.error();
      auto data = ReadFd(*fd);
      if (!data) return MakeError("Can't read --args data", data.error().errno_value);
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
      unshare_user_try_ = true;
      b.unshare_pid = b.unshare_ipc = b.unshare_uts = b.unshare_net = b.unshare_cgroup = true;
      return {};
    }
    if (arg == "--share-net") {
      b.unshare_net = false;
      return {};
    }
    if (arg == "--unshare-user") return Set(b.unshare_user);
    if (arg == "--unshare-user-try") return Set(unshare_user_try_);
    if (arg == "--unshare-pid") return Set(b.unshare_pid);
    if (arg == "--unshare-ipc") return Set(b.unshare_ipc);
    if (arg == "--unshare-uts") return Set(b.unshare_uts);
    if (arg == "--unshare-net") return Set(b.unshare_net);
    if (arg == "--unshare-cgroup" || arg == "--unshare-cgroup-try") return Set(b.unshare_cgroup);
    if (arg == "--new-session") return Set(b.new_session);
    if (arg == "--die-with-parent") return Set(b.die_with_parent);
    if (arg == "--level-prefix") return Set(parsed_.level_prefix);
    if (arg == "--as-pid-1") return Set(b.as_pid_1);
    if (arg == "--disable-userns") return Set(b.disable_userns);
    if (arg == "--assert-userns-disabled") return Set(b.assert_userns_disabled);
    if (arg == "--uid" || arg == "--gid") {
      if (auto r = Need(arg, 1); !r) return r.error();
      std::string v = Take();
      bool is_uid = arg == "--uid";
      long long id = -1;
      if (!ParseNumber(v, &id) || id < 0 || id >= 4294967295LL) {
        return MakeError(std::string("Invalid ") + (is_uid ? "uid" : "gid") + ": " + v);
      }
      if (is_uid ? o.uid.has_value() : o.gid.has_value())
        Warn("Only the last " + arg + " option will take effect");
      if (is_uid) {
        o.uid = static_cast<uid_t>(id);
      } else {
        o.gid = static_cast<gid_t>(id);
      }
      return {};
    }
    if (arg == "--hostname" || arg == "--chdir" || arg == "--argv0") {
      if (auto r = Need(arg, 1); !r) return r.error();
      std::string v = Take();
      if (arg == "--argv0") {
        if (b.argv0) return MakeError("--argv0 used multiple times");
        b.argv0 = v;
        return {};
      }
      auto& slot = arg == "--hostname" ? o.hostname : o.chdir;
      if (slot) Warn("Only the last " + arg + " option will take effect");
      slot = v;
      return {};
    }
    if (arg == "--setenv") {
      if (auto r = Need(arg, 2); !r) return r.error();
      std::string name = Take();
      std::string value = Take();
      o.env.push_back({cli::EnvRequest::Op::kSet, name, value});
      return {};
    }
    if (arg == "--unsetenv") {
      if (auto r = Need(arg, 1); !r) return r.error();
      o.env.push_back({cli::EnvRequest::Op::kUnset, Take(), ""});
      return {};
    }
    if (arg == "--clearenv") {
      o.env.push_back({cli::EnvRequest::Op::kClear, "", ""});
      return {};
    }
    if (arg == "--cap-add" || arg == "--cap-drop") {
      if (auto r = Need(arg, 1); !r) return r.error();
      std::string name = Take();
      // Root starts from what it has; anyone else from nothing (bubblewrap's acquire_privs).
      if (!b.capabilities) b.capabilities = caller_uid_ == 0 ? effective_caps_ : 0;
      bool add = arg == "--cap-add";
      uint64_t mask;
      if (name.size() == 3 && std::tolower(name[0]) == 'a' && std::tolower(name[1]) == 'l' &&
          std::tolower(name[2]) == 'l') {
        mask = ~uint64_t{0};
      } else {
        auto cap = CapabilityFromName(name);
        if (!cap) return MakeError("unknown cap: " + name);
        mask = uint64_t{1} << *cap;
      }
      if (add) {
        *b.capabilities |= mask;
      } else {
        *b.capabilities &= ~mask;
      }
      return {};
    }
    if (arg == "--bind-fd" || arg == "--ro-bind-fd") {
      // The file the descriptor names, bound by its path (resolved now, in the parent; the
      // mount cannot be cloned from a descriptor of another mount namespace). The sandbox then
      // checks that the mount is the descriptor's file, as bubblewrap does.
      if (auto r = Need(arg, 2); !r) return MakeError("--bind-fd takes two arguments");
      auto fd = Fd(Take());
      if (!fd) return fd.error();
      std::string target = Take();
      char buf[4096];
      std::string link = "/proc/self/fd/" + std::to_string(*fd);
      ssize_t n = ::readlink(link.c_str(), buf, sizeof(buf) - 1);
      if (n <= 0 || buf[0] != '/') return MakeError("Invalid fd: " + std::to_string(*fd));
      Mount(arg == "--bind-fd" ? MountKind::kBind : MountKind::kReadOnlyBind, arg,
            std::string(buf, static_cast<size_t>(n)), target)
          .source_fd = *fd;
      b.consumed_fds.push_back(*fd);
      return {};
    }
    if (arg == "--lock-file") {
      if (auto r = Need(arg, 1); !r) return r.error();
      b.lock_files.push_back(Take());
      return {};
    }
    if (arg == "--info-fd") return SetFd(arg, b.info_fd);
    if (arg == "--json-status-fd") return SetFd(arg, b.json_status_fd);
    if (arg == "--sync-fd") return SetFd(arg, b.sync_fd);
    if (arg == "--block-fd") return SetFd(arg, b.block_fd);
    if (arg == "--userns-block-fd") return SetFd(arg, b.userns_block_fd);
    if (arg == "--userns") return SetFd(arg, b.userns_fd);
    if (arg == "--userns2") return SetFd(arg, b.userns2_fd);
    if (arg == "--pidns") return SetFd(arg, b.pidns_fd);
    if (arg == "--seccomp" || arg == "--add-seccomp-fd") {
      bool single = arg == "--seccomp";
      if (auto r = Need(arg, 1); !r) return r.error();
      if (single && added_seccomp_)
        return MakeError("--seccomp cannot be combined with --add-seccomp-fd");
      if (!single && seccomp_fd_)
        return MakeError("--add-seccomp-fd cannot be combined with --seccomp");
      auto fd = Fd(Take());
      if (!fd) return fd.error();
      if (single) {
        if (seccomp_fd_) Warn("Only the last --seccomp option will take effect");
        seccomp_fd_ = *fd;
        return {};
      }
      added_seccomp_ = true;
      seccomp_fds_.push_back(*fd);  // read once the whole line is known to be valid
      return {};
      return {};
    }
    if (arg == "--size") {
      if (auto r = Need(arg, 1); !r) return r.error();
      std::string v = Take();
      if (pending_size_) return MakeError("--size given twice for the same action");
      // Digits only (no sign, no space), bubblewrap's strtoull base-0 number, not 0, at most
      // SIZE_MAX / 2.
      errno = 0;
      char* end = nullptr;
      unsigned long long size = std::strtoull(v.c_str(), &end, 0);
      if (errno != 0 || v.empty() || !std::isdigit(static_cast<unsigned char>(v[0])) ||
          end == nullptr || *end != '\0' || size == 0) {
        return MakeError("--size takes a non-zero number of bytes");
      }
      if (size > (UINT64_MAX >> 1)) {
        return MakeError("--size (for tmpfs) is limited to " + std::to_string(UINT64_MAX >> 1));
      }
      pending_size_ = size;
      return {};
    }
    if (arg == "--perms") {
      if (auto r = Need(arg, 1); !r) return r.error();
      std::string v = Take();
      if (pending_perms_) return MakeError("--perms given twice for the same action");
      auto mode = Octal(v, "--perms takes an octal argument <= 07777");
      if (!mode) return mode.error();
      pending_perms_ = *mode;
      return {};
    }
    if (arg == "--chmod") {
      if (auto r = Need(arg, 2); !r) return r.error();
      auto mode = Octal(Take(), "--chmod takes an octal argument <= 07777");
      if (!mode) return mode.error();
      Mount(MountKind::kChmod, arg, "", Take()).mode = *mode;
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
      if (auto r = Need(arg, 2); !r) return r.error();
      std::string source = Take();
      std::string target = Take();
      Mount(t.kind, arg, source, target, t.optional);
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
                                         {"--mqueue", MountKind::kMqueue},
                                         {"--dir", MountKind::kDir}};
    for (const OnePath& t : kFresh) {
      if (arg != t.name) continue;
      if (auto r = Need(arg, 1); !r) return r.error();
      cli::MountRequest& r = Mount(t.kind, arg, "", Take());
      if (t.kind == MountKind::kRemountReadOnly) r.recursive = false;
      if (t.kind == MountKind::kTmpfs || t.kind == MountKind::kDir) TakePerms(r, 0755);
      return {};
    }
    if (arg == "--file" || arg == "--bind-data" || arg == "--ro-bind-data") {
      if (auto r = Need(arg, 2); !r) return r.error();
      auto fd = Fd(Take());
      if (!fd) return fd.error();
      std::string target = Take();
      // bubblewrap closes the descriptor once it has copied it; 0.12 makes a second use fail
      // (before, the number could name whatever the setup opened next).
      const auto& consumed = parsed_.options.bwrap->consumed_fds;
      if (std::find(consumed.begin(), consumed.end(), *fd) != consumed.end())
        return MakeError("Can't write data to file " + target, EBADF);
      auto data = ReadFd(*fd);
      if (!data) return data.error();
      MountKind kind = arg == "--file"        ? MountKind::kFile
                       : arg == "--bind-data" ? MountKind::kBindData
                                              : MountKind::kReadOnlyBindData;
      cli::MountRequest& r = Mount(kind, arg, "", target);
      r.content = std::move(data).value();
      // bubblewrap's historical modes: 0666 for --file, mkstemp's 0600 for the others.
      TakePerms(r, kind == MountKind::kFile ? 0666 : 0600);
      return {};
    }
    if (arg == "--overlay-src") {
      if (auto r = Need(arg, 1); !r) return r.error();
      pending_layers_.push_back(Take());
      return {};
    }
    if (arg == "--overlay" || arg == "--tmp-overlay" || arg == "--ro-overlay") {
      bool rw = arg == "--overlay";
      if (auto r = Need(arg, rw ? 3 : 1); !r) return r.error();
      size_t needed = arg == "--ro-overlay" ? 2 : 1;
      if (pending_layers_.size() < needed) {
        return MakeError(arg + " requires at least " + (needed == 2 ? "two" : "one") +
                         " --overlay-src");
      }
      std::string upper = rw ? Take() : "";
      std::string work = rw ? Take() : "";
      MountKind kind = rw                       ? MountKind::kOverlay
                       : arg == "--tmp-overlay" ? MountKind::kTmpOverlay
                                                : MountKind::kReadOnlyOverlay;
      cli::MountRequest& r = Mount(kind, arg, "", Take());
      r.upper = upper;
      r.work = work;
      r.layers = std::move(pending_layers_);
      pending_layers_.clear();
      return {};
    }
    return MakeError("Unknown option " + arg);
  }

  // A classic BPF program: whole 8-byte instructions, at most BPF_MAXINSNS of them.
  Result<void> AddSeccompProgram(int fd) {
    // bubblewrap closes each descriptor once read: naming one twice reads a closed one.
    auto& consumed = parsed_.options.bwrap->consumed_fds;
    if (std::find(consumed.begin(), consumed.end(), fd) != consumed.end())
      return MakeError("Can't read seccomp data", EBADF);
    auto program = ReadFd(fd);
    if (!program) return MakeError("Can't read seccomp data", program.error().errno_value);
    if (program->size() % 8 != 0) return MakeError("Invalid seccomp data, must be multiple of 8");
    if (program->size() / 8 > 4096) return MakeError("Invalid seccomp data, too many instructions");
    parsed_.options.bwrap->seccomp_programs.push_back(std::move(program).value());
    return {};
  }

  static Result<void> Set(bool& flag) {
    flag = true;
    return {};
  }

  std::string program_;
  std::deque<std::string> args_;
  const FdReader& read_fd_;
  uid_t caller_uid_;
  gid_t caller_gid_;
  uint64_t effective_caps_;
  Parsed parsed_;
  bool unshare_user_try_ = false;
  bool added_seccomp_ = false;
  std::optional<int> seccomp_fd_;
  std::vector<int> seccomp_fds_;
  std::optional<uint64_t> pending_size_;
  std::optional<unsigned> pending_perms_;
  std::vector<std::string> pending_layers_;
};

}  // namespace

Result<Parsed> ParseArgs(const std::string& program, const std::vector<std::string>& args,
                         uid_t uid, gid_t gid, const FdReader& read_fd, uint64_t effective_caps) {
  return Parser(program, args, uid, gid, effective_caps, read_fd).Run();
}

bool HasBubblewrapOnlyOption(const std::vector<std::string>& args) {
  // Options of bubblewrap that the sandbox's own command line does not have, so a line that
  // uses one is bubblewrap's whatever else it holds.
  static constexpr std::string_view kOnlyBubblewrap[] = {"--unshare-all",
                                                         "--unshare-user",
                                                         "--unshare-user-try",
                                                         "--unshare-ipc",
                                                         "--unshare-pid",
                                                         "--unshare-net",
                                                         "--unshare-uts",
                                                         "--unshare-cgroup",
                                                         "--unshare-cgroup-try",
                                                         "--die-with-parent",
                                                         "--new-session",
                                                         "--as-pid-1",
                                                         "--dev-bind",
                                                         "--dev-bind-try",
                                                         "--file",
                                                         "--bind-data",
                                                         "--ro-bind-data",
                                                         "--info-fd",
                                                         "--json-status-fd",
                                                         "--sync-fd",
                                                         "--block-fd",
                                                         "--args",
                                                         "--argv0",
                                                         "--cap-add",
                                                         "--cap-drop",
                                                         "--lock-file",
                                                         "--userns",
                                                         "--pidns",
                                                         "--add-seccomp-fd",
                                                         "--level-prefix",
                                                         "--disable-userns"};
  for (const std::string& arg : args) {
    if (arg == "--") break;
    for (std::string_view option : kOnlyBubblewrap) {
      if (arg == option) return true;
    }
  }
  return false;
}

Result<std::string> ReadWholeFd(int fd) {
  // Left open: a consumed descriptor is closed in the job (bubblewrap closes it there too), and
  // closing 0-2 here would let the supervisor's own next descriptor take their number.
  std::string data;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError("Can't read fd " + std::to_string(fd), errno);
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

}  // namespace sandbox::bwrap

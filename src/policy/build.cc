#include "policy/build.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>

#include "common/canonical_path.h"
#include "common/landlock_abi.h"
#include "common/rlimits.h"
#include "common/units.h"
#include "egress/hosts_file.h"
#include "policy/environment.h"
#include "policy/host_probes.h"
#include "policy/landlock_only.h"
#include "policy/tmpfs_bounds.h"
#include "profile/suggest.h"
#include "seccomp/names.h"

extern char** environ;

namespace sandbox::policy {

Caller Caller::FromProcess() {
  Caller caller;
  caller.uid = ::getuid();
  caller.gid = ::getgid();
  std::unique_ptr<char, decltype(&std::free)> cwd(::getcwd(nullptr, 0), &std::free);
  if (cwd) caller.cwd = cwd.get();
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    caller.environment.emplace_back(std::string(entry.substr(0, eq)),
                                    std::string(entry.substr(eq + 1)));
  }
  caller.landlock_abi = landlock::ProbeAbi();
  caller.user_namespaces_work = UserNamespacesWork;
  caller.count_user_processes = CountUserProcesses;
  struct sysinfo info;
  if (::sysinfo(&info) == 0) caller.ram_bytes = uint64_t{info.totalram} * info.mem_unit;
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) == 0) {
    caller.effective_capabilities =
        data[0].effective | (static_cast<uint64_t>(data[1].effective) << 32);
  }
  return caller;
}

Result<std::string> NormalizeTarget(std::string_view path) {
  if (path.empty() || path[0] != '/') {
    Error e = MakeError("destination \"" + std::string(path) + "\" is not an absolute path");
    e.hint = "write it from the sandbox's root, e.g. /work";
    return e;
  }
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(i, end - i);
    i = end;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      Error e = MakeError("destination \"" + std::string(path) + "\" contains \"..\"");
      e.hint = "spell the destination without \"..\"";
      return e;
    }
    out += '/';
    out += part;
  }
  if (out.empty()) out = "/";
  if (out.size() >= PATH_MAX) {
    return MakeError("destination \"" + std::string(path) + "\" is too long", ENAMETOOLONG);
  }
  return out;
}

class PolicyBuilder {
 public:
  PolicyBuilder(const cli::CliOptions& options, const Caller& caller)
      : options_(options), caller_(caller) {}

  Result<Policy> Build() {
    if (options_.command.empty()) {
      Error e = MakeError("no command given");
      e.hint = "usage: sandbox [FLAGS] -- COMMAND [ARGS...]";
      return e;
    }
    policy_.command_ = options_.command;
    if (auto r = BuildIdentity(); !r) return r.error();
    if (auto r = BuildEgress(); !r) return r.error();
    if (auto r = BuildMounts(); !r) return r.error();
    if (auto r = BuildEnvironment(); !r) return r.error();
    if (auto r = BuildProcess(); !r) return r.error();
    if (auto r = BuildLimits(); !r) return r.error();
    if (auto r = BuildTmpfsBounds(); !r) return r.error();
    if (auto r = BuildLandlock(); !r) return r.error();
    if (auto r = BuildHostProc(); !r) return r.error();
    if (auto r = BuildSeccomp(); !r) return r.error();
    if (auto r = BuildTerminal(); !r) return r.error();
    BuildNamespaces();
    if (auto r = BuildIsolation(); !r) return r.error();
    return std::move(policy_);
  }

 private:
  Result<void> BuildIdentity() {
    Identity& id = policy_.identity_;
    id.outer_uid = caller_.uid;
    id.outer_gid = caller_.gid;
    id.inner_uid = options_.uid.value_or(0);
    id.inner_gid = options_.gid.value_or(0);
    // The kernel reserves (uid_t)-1; 65535/65534-style overflow ids are fine.
    if (id.inner_uid == static_cast<uid_t>(-1) || id.inner_gid == static_cast<gid_t>(-1)) {
      return MakeError("--uid/--gid 4294967295 is not a valid id");
    }
    return {};
  }

  Result<void> BuildMounts() {
    for (const cli::MountRequest& request : options_.mounts) {
      MountOp op;
      op.kind = request.kind;
      op.optional = request.optional;
      op.size_bytes = request.size_bytes;
      if (request.mode) op.mode = static_cast<mode_t>(*request.mode);
      op.content = request.content;
      op.origin.file = request.flag;
      op.recursive = request.recursive;
      if (request.parent_mode) op.parent_mode = static_cast<mode_t>(*request.parent_mode);
      op.source_fd = request.source_fd;
      op.capture_changes = request.capture_changes && request.kind == MountKind::kTmpOverlay;
      for (const std::string& layer : request.layers) {
        auto path = ResolvePath(layer, false);
        if (!path) return WithOrigin(path.error(), request.flag);
        op.layers.push_back(*path);
      }
      for (auto [from, to] : {std::pair{&request.upper, &op.upper}, {&request.work, &op.work}}) {
        if (from->empty()) continue;
        auto path = ResolvePath(*from, false);
        if (!path) return WithOrigin(path.error(), request.flag);
        *to = *path;
      }
      auto target = NormalizeTarget(request.target);
      if (!target) return WithOrigin(target.error(), request.flag);
      op.target = *target;
      if (IsBind(request.kind)) {
        auto source = ResolveSource(request);
        if (!source) return WithOrigin(source.error(), request.flag);
        if (source->empty()) {  // optional and missing
          op.source = request.source;
          policy_.absent_mounts_.push_back({std::move(op), policy_.mounts_.size()});
          continue;
        }
        op.source = *source;
        if (request.socket) {
          if (auto r = AddConnectable(op.source); !r) return WithOrigin(r.error(), request.flag);
          op.socket = true;
        }
      } else if (request.kind == MountKind::kSymlink) {
        if (request.source.empty()) {
          return WithOrigin(MakeError("symlink text is empty"), request.flag);
        }
        op.source = request.source;
      }
      bool root_ok =
          request.kind == MountKind::kRemountReadOnly || IsBind(request.kind) ||
          request.kind == MountKind::kTmpfs ||
          (options_.bwrap && (IsOverlay(request.kind) || request.kind == MountKind::kChmod ||
                              request.kind == MountKind::kDir));
      if (op.target == "/" && !root_ok) {
        return WithOrigin(MakeError("cannot use / as the destination of " +
                                    std::string(MountKindName(request.kind))),
                          request.flag);
      }
      policy_.mounts_.push_back(std::move(op));
    }
    if (!options_.bwrap && !options_.share_net) ResolveNamesLocallyOnly();
    if (!policy_.egress_.numbered.empty()) NameAllowedHostsInHostsFile();
    return {};
  }

  // The allowed names in the job's /etc/hosts (egress/hosts_file.h): into the file the
  // profile writes there, into a copy of the host's own where the job would read that, or,
  // where nothing is mounted at or above /etc/hosts (a run from flags alone), into a file of
  // the sandbox's own with the loopback names. Elsewhere (a tmpfs or a directory of the
  // user's at /etc) the names resolve through the sandbox's resolver, at the same numbers.
  void NameAllowedHostsInHostsFile() {
    constexpr const char* kHosts = "/etc/hosts";
    const std::vector<std::string>& numbered = policy_.egress_.numbered;
    MountOp* last = LastMountAtOrAbove(policy_.mounts_, kHosts);
    if (last != nullptr && last->target == kHosts &&
        (last->kind == MountKind::kFile || last->kind == MountKind::kReadOnlyBindData ||
         last->kind == MountKind::kBindData)) {
      last->content = egress::HostsWithNumberedNames(last->content, numbered);
      return;
    }
    if (last == nullptr) {
      // No nsswitch.conf is needed beside it: glibc's order without one is "files dns".
      AddGeneratedFile(kHosts, egress::HostsWithNumberedNames(kLoopbackHosts, numbered),
                       kAllowListOrigin);
      return;
    }
    if (!ShowsHostsOwn(kHosts, false)) return;
    // A host's blocklist-sized file is left to the DNS path rather than copied per run.
    constexpr std::streamsize kMaxCopied = 1 << 20;
    std::ifstream file(kHosts, std::ios::binary);
    std::string own(kMaxCopied + 1, '\0');
    file.read(own.data(), kMaxCopied + 1);
    if (!file.is_open() || file.bad() || file.gcount() > kMaxCopied) return;
    own.resize(static_cast<size_t>(file.gcount()));
    AddGeneratedFile(kHosts, egress::HostsWithNumberedNames(own, numbered), kAllowListOrigin);
  }

  // The loopback names of a hosts file of the sandbox's own (as the shipped profiles write).
  static constexpr const char* kLoopbackHosts =
      "# sandbox: egress allow-list: the loopback names, then the allowed names\n"
      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";

  static constexpr const char* kAllowListOrigin = "network allow-list";

  // A read-only file of the sandbox's making at `target`, `origin` saying why.
  void AddGeneratedFile(const std::string& target, std::string content, const char* origin) {
    MountOp op;
    op.kind = MountKind::kReadOnlyBindData;
    op.target = target;
    op.mode = 0644;
    op.content = std::move(content);
    op.origin.file = origin;
    policy_.mounts_.push_back(std::move(op));
  }

  // The last mount at or above `path`, which decides what the job finds there; nullptr when
  // there is none and the job finds the sandbox's own empty root (a run from flags alone that
  // binds nothing at /etc, say).
  template <typename Mounts>
  static auto LastMountAtOrAbove(Mounts& mounts, const std::string& path)
      -> decltype(&mounts.front()) {
    decltype(&mounts.front()) last = nullptr;
    for (auto& op : mounts) {
      if (op.target == "/" || path == op.target ||
          (path.starts_with(op.target) && path[op.target.size()] == '/')) {
        last = &op;
      }
    }
    return last;
  }

  // With no network, a name lookup must fail at once and for good. glibc's "dns" source
  // answers EAI_AGAIN when no server is reachable, which npm, pip and others retry for
  // minutes; with "files" only, an unknown name is EAI_NONAME ("Name or service not known",
  // node's ENOTFOUND). So where the job would read the host's nsswitch.conf (or resolv.conf,
  // which Go and c-ares read themselves), it reads these instead (nsswitch.conf(5)).
  void ResolveNamesLocallyOnly() {
    // With an allow-list, names go to the sandbox's own resolver (the proxy's, on lo), which
    // answers allowed names only (docs/network.md).
    static constexpr const char* kEgressNsswitch =
        "# sandbox: egress allow-list: names resolve from /etc/hosts, then the sandbox's "
        "resolver\n"
        "passwd:     files\ngroup:      files\nshadow:     files\ngshadow:    files\n"
        "hosts:      files dns\nnetworks:   files\nprotocols:  files\nservices:   files\n"
        "ethers:     files\nrpc:        files\nnetgroup:   files\n";
    static constexpr const char* kEgressResolvConf =
        "# sandbox: egress allow-list: the sandbox's resolver answers allowed names only\n"
        "nameserver 127.0.0.1\noptions ndots:1 timeout:2 attempts:2\n";
    static constexpr const char* kNsswitch =
        "# sandbox: network \"none\": names resolve from /etc/hosts only\n"
        "passwd:     files\ngroup:      files\nshadow:     files\ngshadow:    files\n"
        "hosts:      files\nnetworks:   files\nprotocols:  files\nservices:   files\n"
        "ethers:     files\nrpc:        files\nnetgroup:   files\n";
    static constexpr const char* kResolvConf =
        "# sandbox: network \"none\": no name server is reachable\n";
    const bool egress = policy_.egress_.on();
    for (auto [target, content] :
         {std::pair{"/etc/nsswitch.conf", egress ? kEgressNsswitch : kNsswitch},
          std::pair{"/etc/resolv.conf", egress ? kEgressResolvConf : kResolvConf}}) {
      if (!ShowsHostsOwn(target, false)) continue;
      AddGeneratedFile(target, content, egress ? kAllowListOrigin : "network none");
    }
  }

  // The host path the job finds at `path` inside: the last mount at or above `path` decides,
  // and only a bind (of `path` itself or of a directory above it) shows a host path there.
  // "" when none does. Says nothing about whether that host path exists.
  std::string HostPathShownAt(const std::string& path) const {
    const MountOp* last = LastMountAtOrAbove(policy_.mounts_, path);
    if (last == nullptr || !IsBind(last->kind)) return "";
    std::string rest = last->target == "/" ? path : path.substr(last->target.size());
    return last->source == "/" ? rest : last->source + rest;
  }

  // True if the job finds the host's own `path` at `path` (not something else bound there),
  // and it is a directory (`want_dir`) or a regular file. Not when the job would find a
  // symlink there (a host /etc/resolv.conf seen through a bind of /etc, say): where it leads
  // inside is not known here, and a mount onto it would follow it.
  bool ShowsHostsOwn(const std::string& path, bool want_dir) const {
    std::string host = HostPathShownAt(path);
    struct stat link = {};
    if (host.empty() || ::lstat(host.c_str(), &link) != 0 || S_ISLNK(link.st_mode)) return false;
    std::string shown = CanonicalPath(host);
    std::string own = CanonicalPath(path);
    struct stat st = {};
    return !shown.empty() && shown == own && ::stat(shown.c_str(), &st) == 0 &&
           (want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
  }

  // --bind-socket, type = "socket": the job may connect and send to this unix socket though
  // it lies on a read-only mount (the seccomp socket fence knows it by device and inode).
  Result<void> AddConnectable(const std::string& source) {
    struct stat st;
    if (::stat(source.c_str(), &st) != 0) return MakeError("cannot use socket " + source, errno);
    if (!S_ISSOCK(st.st_mode)) {
      Error e = MakeError(source + " is not a unix socket");
      e.hint = "name the socket itself, or bind a directory with --ro-bind";
      return e;
    }
    connectable_.push_back({static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)});
    return {};
  }

  // Canonical host path of a bind source, "" for a missing optional one. Canonical paths let
  // the child open the source with RESOLVE_NO_SYMLINKS, so a symlink swapped in after this
  // check is refused instead of followed.
  Result<std::string> ResolveSource(const cli::MountRequest& request) {
    return ResolvePath(request.source, request.optional);
  }

  Result<std::string> ResolvePath(const std::string& source, bool optional) {
    std::string path = source;
    if (path.empty()) return MakeError("bind source is empty");
    if (path[0] != '/') path = caller_.cwd + "/" + path;
    std::string real = CanonicalPath(path);
    if (real.empty()) {
      int err = errno;
      if (optional && (err == ENOENT || err == ENOTDIR)) return std::string();
      // In bwrap mode, bubblewrap's words (scripts match them), and its message has no flag.
      if (options_.bwrap) return MakeError("Can't find source path " + source, err);
      Error e = MakeError("cannot use bind source " + source, err);
      if (err == ENOENT) e.hint = "create it, or use the -try form to skip a missing source";
      e.path = path;
      return e;
    }
    return real;
  }

  Result<void> BuildEnvironment() {
    EnvInputs in;
    in.keep_env = options_.keep_env;
    in.defaults = {{"PATH", kDefaultPath}, {"HOME", kDefaultHome}};
    in.pass = {"TERM", "LANG"};
    in.pass.insert(in.pass.end(), options_.env_pass.begin(), options_.env_pass.end());
    in.deny = options_.env_deny;
    in.edits = options_.env;
    if (policy_.egress_.on()) {
      // Programs that honour proxy variables use the proxy explicitly (CONNECT); the rest are
      // caught at connect(2). The flags' own --setenv/--unsetenv still come after.
      std::vector<cli::EnvRequest> proxy;
      for (const char* name : {"http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"}) {
        proxy.push_back({cli::EnvRequest::Op::kSet, name, egress::kProxyUrl});
      }
      for (const char* name : {"no_proxy", "NO_PROXY"}) {
        proxy.push_back({cli::EnvRequest::Op::kSet, name, "localhost,127.0.0.1,::1"});
      }
      in.edits.insert(in.edits.begin(), proxy.begin(), proxy.end());
    }
    in.caller = &caller_.environment;
    auto job = BuildJobEnvironment(in);
    if (!job) return job.error();
    PutVirtualEnvFirst(job->env);
    for (const auto& [k, v] : job->env) policy_.environment_.push_back(k + "=" + v);
    policy_.env_names_.passed = std::move(job->passed);
    policy_.env_names_.denied = std::move(job->denied);
    policy_.env_names_.dropped = std::move(job->dropped);
    return {};
  }

  // `. .venv/bin/activate` put the venv's bin first in the caller's PATH; the profile's PATH
  // replaced it. When VIRTUAL_ENV came in and the job sees that venv (a bind shows it at the
  // same path, as its scripts' #! lines need), its bin goes first again, as activate does.
  // When the job does not see it (a venv outside the project), the caller hears so: else the
  // job's python is silently the profile's, without the venv's packages.
  void PutVirtualEnvFirst(EnvList& env) {
    auto find = [&env](std::string_view name) -> std::string* {
      for (auto& [k, v] : env) {
        if (k == name) return &v;
      }
      return nullptr;
    };
    const std::string* venv = find("VIRTUAL_ENV");
    std::string* path = find("PATH");
    if (venv == nullptr || path == nullptr || !venv->starts_with('/')) return;
    auto inside = NormalizeTarget(*venv);
    if (!inside) return;
    const std::string bin = *inside + "/bin";
    if (!ShowsHostsOwn(bin, true)) {
      if (options_.bwrap) return;  // bwrap mode says nothing bubblewrap would not
      policy_.notes_.push_back("the active virtualenv " + *venv +
                               " is not in the sandbox, so the job runs the profile's python "
                               "without its packages; to use it, show it at its own path: "
                               "--ro-bind " +
                               *venv + " " + *venv + " (--bind to install into it)");
      return;
    }
    if (*path == bin || path->starts_with(bin + ":")) return;
    *path = path->empty() ? bin : bin + ":" + *path;
  }

  Result<void> BuildProcess() {
    if (options_.hostname) {
      const std::string& h = *options_.hostname;
      if (h.empty() || h.size() > 64) {
        Error e = MakeError("hostname \"" + h + "\" must be 1 to 64 characters");
        return e;
      }
      policy_.hostname_ = h;
    }
    policy_.network_ = options_.share_net ? NetworkMode::kHost : NetworkMode::kNone;
    if (options_.chdir && options_.bwrap) {
      // bubblewrap chdir()s to the text as given (from "/") and puts that text in PWD.
      policy_.cwd_ = *options_.chdir;
      policy_.cwd_required_ = true;
    } else if (options_.chdir) {
      auto cwd = NormalizeTarget(*options_.chdir);
      if (!cwd) return WithOrigin(cwd.error(), "--chdir " + *options_.chdir);
      policy_.cwd_ = *cwd;
      policy_.cwd_required_ = true;
    } else if (options_.bwrap) {
      // bubblewrap: the caller's directory if the sandbox has it, else the sandbox's HOME,
      // else "/".
      policy_.cwd_ = BwrapCallerDirectory();
      policy_.cwd_required_ = false;
      policy_.cwd_fallback_ = FindVariable("HOME").value_or("");
    } else {
      // The caller's directory when the sandbox has it, "/" otherwise.
      policy_.cwd_ = caller_.cwd.empty() ? "/" : caller_.cwd;
      policy_.cwd_required_ = false;
    }
    for (int fd : options_.pass_fds) {
      if (fd <= 2) continue;  // always passed
      if (::fcntl(fd, F_GETFD) < 0) {
        Error e = MakeError("--pass-fd " + std::to_string(fd) + ": descriptor is not open", errno);
        e.hint = "open it in the calling shell, e.g. " + std::to_string(fd) + "<file";
        return e;
      }
      policy_.pass_fds_.push_back(fd);
    }
    std::sort(policy_.pass_fds_.begin(), policy_.pass_fds_.end());
    policy_.pass_fds_.erase(std::unique(policy_.pass_fds_.begin(), policy_.pass_fds_.end()),
                            policy_.pass_fds_.end());
    policy_.timeout_ = options_.timeout;
    if (options_.timeout && options_.timeout->count() == 0) {
      return MakeError("--timeout must be longer than 0");
    }
    if (options_.timeout_grace) policy_.timeout_grace_ = *options_.timeout_grace;
    policy_.verbose_ = options_.verbose;
    return {};
  }

  // The value of `name` in the job's environment as built so far.
  std::optional<std::string> FindVariable(std::string_view name) const {
    for (const std::string& entry : policy_.environment_) {
      if (entry.size() > name.size() && entry[name.size()] == '=' && entry.starts_with(name))
        return entry.substr(name.size() + 1);
    }
    return std::nullopt;
  }

  // bubblewrap's get_current_dir_name(3) after its options: PWD (as --setenv, --unsetenv and
  // --clearenv left it) when it names the caller's directory, a symlinked spelling included;
  // getcwd's answer otherwise (empty when the directory is gone, so only HOME and / remain).
  std::string BwrapCallerDirectory() const {
    std::optional<std::string> pwd = FindVariable("PWD");
    struct stat here;
    struct stat there;
    if (pwd && !caller_.cwd.empty() && ::stat(caller_.cwd.c_str(), &here) == 0 &&
        ::stat(pwd->c_str(), &there) == 0 && here.st_dev == there.st_dev &&
        here.st_ino == there.st_ino) {
      return *pwd;
    }
    return caller_.cwd;
  }

  // memory=SIZE, pids=N, cpus=N (e.g. 1.5): enforced through a cgroup v2 child cgroup.
  Result<void> SetCgroupLimit(const std::string& name, const std::string& text) {
    CgroupRequest& cg = policy_.cgroup_;
    if (name == "memory") {
      auto bytes = ParseSize(text);
      if (!bytes) return bytes.error();
      cg.memory_max = *bytes;
    } else if (name == "pids") {
      auto count = ParseRlimitValue(*FindRlimit("nproc"), text);
      if (!count || *count == RLIM_INFINITY || *count == 0) {
        return MakeError("invalid value \"" + text + "\" for limit pids");
      }
      cg.pids_max = *count;
    } else if (name == "cpus") {
      // Whole and fractional CPUs, as docker's --cpus: "1.5" is 150 ms per 100 ms.
      char* end = nullptr;
      double cpus = std::strtod(text.c_str(), &end);
      if (text.empty() || end == nullptr || *end != '\0' || !(cpus > 0) || cpus > 4096) {
        Error e = MakeError("invalid value \"" + text + "\" for limit cpus");
        e.hint = "give a number of CPUs, e.g. cpus=1.5";
        return e;
      }
      cg.cpu_quota_us = static_cast<uint64_t>(cpus * 100000);
    }
    return {};
  }

  void BuildNamespaces() {
    uint64_t flags = CLONE_NEWNS;
    if (!options_.bwrap) {
      flags |= CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
      if (policy_.network_ == NetworkMode::kNone) flags |= CLONE_NEWNET;
      policy_.namespaces_ = flags;
      policy_.seal_own_mounts_ = true;
      return;
    }
    const cli::CliOptions::Bwrap& b = *options_.bwrap;
    if (b.unshare_user) flags |= CLONE_NEWUSER;
    if (b.unshare_pid) flags |= CLONE_NEWPID;
    if (b.unshare_ipc) flags |= CLONE_NEWIPC;
    if (b.unshare_uts) flags |= CLONE_NEWUTS;
    if (b.unshare_net) flags |= CLONE_NEWNET;
    if (b.unshare_cgroup) flags |= CLONE_NEWCGROUP;
    policy_.namespaces_ = flags;
    policy_.network_ = b.unshare_net ? NetworkMode::kNone : NetworkMode::kHost;
    policy_.new_session_ = b.new_session;
    policy_.job_is_pid1_ = b.as_pid_1;
    policy_.lock_files_ = b.lock_files;
    policy_.argv0_ = b.argv0;
    policy_.reexec_as_bwrap_ = true;
    // bubblewrap tells the command where it is, even after --clearenv: setenv(3) replaces PWD
    // where it stands, or adds it at the end. Its value is the job's to fill in.
    auto pwd = std::find_if(policy_.environment_.begin(), policy_.environment_.end(),
                            [](const std::string& entry) { return entry.starts_with("PWD="); });
    if (pwd == policy_.environment_.end()) {
      pwd = policy_.environment_.insert(pwd, "PWD=" + policy_.cwd_);
    } else {
      *pwd = "PWD=" + policy_.cwd_;
    }
    policy_.pwd_index_ = static_cast<size_t>(pwd - policy_.environment_.begin());
    policy_.die_with_parent_ = b.die_with_parent;
    // bubblewrap adds neither a seccomp filter nor Landlock unless asked.
    policy_.seccomp_.reset();
    policy_.landlock_ = LandlockPlan{};
    policy_.extra_seccomp_ = b.seccomp_programs;
    policy_.own_session_ = false;
    BuildBwrapCapabilities(b);
    Coordination& c = policy_.coordination_;
    c.userns_fd = b.userns_fd.value_or(-1);
    c.userns2_fd = b.userns2_fd.value_or(-1);
    c.pidns_fd = b.pidns_fd.value_or(-1);
    c.sync_fd = b.sync_fd.value_or(-1);
    c.block_fd = b.block_fd.value_or(-1);
    c.userns_block_fd = b.userns_block_fd.value_or(-1);
    c.disable_userns = b.disable_userns;
    c.assert_userns_disabled = b.assert_userns_disabled;
    c.inherit_fds = true;
    c.consumed = b.consumed_fds;
    for (std::optional<int> fd : {b.info_fd, b.json_status_fd, b.block_fd, b.userns_block_fd,
                                  b.userns_fd, b.userns2_fd, b.pidns_fd}) {
      if (fd) c.consumed.push_back(*fd);
    }
    // --sync-fd stays open in the job only when the job is pid 1 (nothing else would hold it).
    if (b.sync_fd && !b.as_pid_1) c.consumed.push_back(*b.sync_fd);
    std::sort(c.consumed.begin(), c.consumed.end());
    c.consumed.erase(std::unique(c.consumed.begin(), c.consumed.end()), c.consumed.end());
  }

  // bubblewrap's rules: without --cap-add/--cap-drop, root outside a new user namespace keeps
  // its capabilities untouched, and everyone else ends with none (root in a new user
  // namespace keeps the effective set it had). With them, exactly the set asked for. The
  // bounding set is only cut inside a new user namespace, where the kernel refilled it.
  void BuildBwrapCapabilities(const cli::BwrapOptions& b) {
    CapabilityPlan& caps = policy_.capabilities_;
    bool own_userns = b.unshare_user || b.userns_fd;
    caps.limit_bounding = own_userns;
    if (b.capabilities) {
      caps.mode = CapabilityPlan::Mode::kExactly;
      caps.keep = *b.capabilities;
    } else if (caller_.uid == 0) {
      caps.mode = own_userns ? CapabilityPlan::Mode::kExactly : CapabilityPlan::Mode::kUnchanged;
      caps.keep = caller_.effective_capabilities;
    } else {
      caps.mode = CapabilityPlan::Mode::kExactly;
      caps.keep = 0;
    }
  }

  // The pty comes from the sandbox's own devpts instance, which only a --dev mount provides.
  Result<void> BuildTerminal() {
    if (!options_.tty) return {};
    bool has_dev = std::any_of(
        policy_.mounts_.begin(), policy_.mounts_.end(),
        [](const MountOp& m) { return m.kind == MountKind::kDev && m.target == "/dev"; });
    if (!has_dev) {
      Error e = MakeError("--tty needs the sandbox's own /dev for its pseudo-terminal");
      e.hint = "add --dev /dev (or a profile with a [[mount]] of type \"dev\")";
      return e;
    }
    policy_.terminal_ = true;
    return {};
  }

  // Secure by default: the default list applies unless a profile or flag says "none".
  Result<void> BuildSeccomp() {
    if (options_.seccomp_policy.value_or("default") == "none") {
      policy_.seccomp_.reset();
      return {};
    }
    seccomp::Settings settings;
    const std::string action = options_.seccomp_action.value_or("errno");
    settings.action = action == "kill"  ? seccomp::Action::kKill
                      : action == "log" ? seccomp::Action::kLog
                                        : seccomp::Action::kErrno;
    for (const auto* list : {&options_.seccomp_deny, &options_.seccomp_allow}) {
      for (const cli::CliOptions::SeccompName& name : *list) {
        if (seccomp::IsKnownSyscall(name.name)) continue;
        Error e = MakeError("unknown system call \"" + name.name + "\"");
        std::vector<std::string_view> known(seccomp::KnownSyscalls().begin(),
                                            seccomp::KnownSyscalls().end());
        std::string near = profile::Nearest(name.name, known);
        e.hint = near.empty() ? "see the names in syscalls(2)" : "did you mean \"" + near + "\"?";
        e.where = name.where;
        return e;
      }
      auto& into = list == &options_.seccomp_deny ? settings.deny : settings.allow;
      for (const auto& name : *list) into.push_back(name.name);
    }
    settings.connectable = connectable_;
    // Landlock refuses a write-open of a FIFO or device on a read-only bind by itself
    // (LANDLOCK_ACCESS_FS_WRITE_FILE is not granted there); without it the filter hands such
    // opens to the supervisor. BuildLandlock has decided by now.
    settings.fence_fifos = policy_.landlock_.abi <= 0;
    policy_.seccomp_ = std::move(settings);
    return {};
  }

  // A bad entry names its profile line, or the flag.
  static Error At(Error e, const cli::CliOptions::NetworkEntry& entry) {
    if (entry.where.line > 0) {
      e.where = entry.where;
      return e;
    }
    return WithOrigin(std::move(e), entry.origin);
  }

  // --allow-host, --resolve, --network log and the profile's [network] (docs/network.md).
  Result<void> BuildEgress() {
    EgressPlan& egress = policy_.egress_;
    bool log = options_.network.value_or("none") == "log";
    if (options_.allow_hosts.empty() && !log) {
      if (options_.resolve_pins.empty()) return {};
      Error e = MakeError("--resolve has no effect without --allow-host or --network log");
      return At(e, options_.resolve_pins.front());
    }
    std::string origin = log ? "--network log" : options_.allow_hosts.front().origin;
    if (options_.bwrap) return MakeError(origin + ": not in bwrap mode");
    if (options_.share_net) {
      Error e = MakeError(origin + " cannot be combined with the host's network (--share-net or " +
                          "[sandbox] network = \"host\")");
      e.hint = "an allow-list keeps the job in a network of its own; drop --share-net";
      return e;
    }
    // Allowed connections are routed by the socket fence, which needs the listener.
    if (options_.seccomp_policy.value_or("default") == "none" ||
        options_.seccomp_action.value_or("errno") == "kill") {
      Error e = MakeError(origin + " needs the seccomp filter's socket fence");
      e.hint = "drop --seccomp-policy none and --seccomp-action kill (errno or log work)";
      return e;
    }
    egress.mode = log ? EgressPlan::Mode::kLog : EgressPlan::Mode::kAllowList;
    for (const cli::CliOptions::NetworkEntry& entry : options_.allow_hosts) {
      auto rule = egress::ParseHostRule(entry.value);
      if (!rule) return At(rule.error(), entry);
      rule->origin = entry.origin;
      egress.allow.push_back(std::move(*rule));
    }
    for (const cli::CliOptions::NetworkEntry& entry : options_.resolve_pins) {
      auto pin = egress::ParsePin(entry.value);
      if (!pin) return At(pin.error(), entry);
      pin->origin = entry.origin;
      egress.resolve.push_back(std::move(*pin));
    }
    egress.numbered = egress::NumberedNames(egress.allow);
    return {};
  }

  // auto: on whenever the kernel has Landlock. on: refuse to run without it.
  Result<void> BuildLandlock() {
    std::string mode = options_.landlock.value_or("auto");
    if (mode == "off") return {};
    policy_.landlock_.required = mode == "on";
    if (caller_.landlock_abi <= 0 && policy_.landlock_.required) {
      Error e = MakeError("Landlock was required but this kernel does not provide it");
      e.hint = "boot with lsm=...,landlock, or use --landlock auto";
      return e;
    }
    policy_.landlock_.abi = caller_.landlock_abi;
    return {};
  }

  // --host-proc: where the caller's /proc is masked (a container's), the kernel refuses a fresh
  // proc in a user namespace (mount_too_revealing), so every proc mount becomes a read-only
  // recursive bind of the caller's own, masks included. The job then lists the processes
  // outside the sandbox and reads what /proc shows anyone (command lines, status); their
  // memory, environment and descriptors stay closed to it: the kernel lets only a process of
  // their own user namespace, or one with CAP_SYS_PTRACE over it, at those (Landlock's ptrace
  // scoping is a second fence where it runs). docs/ci.md says what it costs.
  Result<void> BuildHostProc() {
    if (options_.bwrap || !options_.host_proc.value_or(false)) return {};
    policy_.host_proc_ = true;
    for (MountOp& op : policy_.mounts_) {
      if (op.kind != MountKind::kProc) continue;
      op.kind = MountKind::kReadOnlyBind;
      op.source = "/proc";
    }
    return {};
  }

  // --isolation: namespaces unless asked; auto is the caller's permission to fall back to
  // landlock, taken only where this process cannot have a user namespace (nested in a sandbox
  // or a container's seccomp profile). Never chosen without that permission.
  Result<void> BuildIsolation() {
    if (options_.bwrap) return {};
    std::string mode = options_.isolation.value_or("namespaces");
    if (mode == "auto") mode = caller_.AutoIsolation();
    if (mode == "namespaces") return {};
    const std::string& origin = options_.isolation_origin;
    if (caller_.landlock_abi <= 0) {
      Error e =
          MakeError("--isolation landlock needs Landlock, which this kernel does not provide");
      e.hint = "boot with lsm=...,landlock, or run where user namespaces work (sandbox doctor)";
      return WithOrigin(e, origin);
    }
    if (options_.landlock.value_or("auto") == "off") {
      Error e = MakeError(
          "--isolation landlock cannot run with --landlock off: Landlock is its "
          "only fence around the filesystem");
      e.hint = "drop --landlock off (or [sandbox] landlock = \"off\")";
      return WithOrigin(e, origin);
    }
    if (policy_.terminal_) {
      Error e = MakeError("--isolation landlock has no pseudo-terminal of its own for --tty");
      e.hint = "run without --tty, or where user namespaces work";
      return WithOrigin(e, origin);
    }
    // The allow-list's proxy listens on the job's own loopback: a network namespace.
    if (policy_.egress_.on()) {
      Error e = MakeError(
          "--isolation landlock has no network of its own for an egress allow-list "
          "(--allow-host, --network log, [network] allow)");
      e.hint = "drop the allow-list, or run where user namespaces work";
      return WithOrigin(e, origin);
    }
    // No user namespace maps the caller to another id.
    const Identity& id = policy_.identity_;
    if ((options_.uid && id.inner_uid != id.outer_uid) ||
        (options_.gid && id.inner_gid != id.outer_gid)) {
      Error e = MakeError("--isolation landlock runs the job as the caller (uid " +
                          std::to_string(id.outer_uid) + "): no user namespace maps it to uid " +
                          std::to_string(id.inner_uid) + " gid " + std::to_string(id.inner_gid));
      e.hint = "drop --uid/--gid (or the profile's uid/gid), or run where user namespaces work";
      return WithOrigin(e, origin);
    }
    // The network is kept out by the filter's socket families (and Landlock's TCP rights).
    if (policy_.network_ == NetworkMode::kNone && !policy_.seccomp_) {
      Error e = MakeError(
          "--isolation landlock without --share-net needs the seccomp filter: it "
          "is what refuses network sockets without a network namespace");
      e.hint = "drop --seccomp-policy none, or add --share-net";
      return WithOrigin(e, origin);
    }
    if (policy_.network_ == NetworkMode::kNone &&
        policy_.seccomp_->action == seccomp::Action::kLog) {
      Error e = MakeError(
          "--isolation landlock without --share-net cannot use --seccomp-action "
          "log: the filter's refusal of network sockets is the network's fence");
      e.hint = "use --seccomp-action errno or kill, or add --share-net";
      return WithOrigin(e, origin);
    }
    auto translated = TranslateForLandlockOnly(policy_.mounts_, HostView::Real());
    if (!translated) return translated.error();
    policy_.landlock_only_ = std::move(translated).value();
    policy_.isolation_ = Isolation::kLandlock;
    policy_.namespaces_ = 0;
    policy_.seal_own_mounts_ = false;
    policy_.new_session_ = true;
    policy_.own_session_ = true;
    policy_.identity_.inner_uid = id.outer_uid;
    policy_.identity_.inner_gid = id.outer_gid;
    policy_.landlock_.abi = caller_.landlock_abi;
    policy_.landlock_.required = true;
    if (policy_.seccomp_) {
      policy_.seccomp_->unix_sockets_only = policy_.network_ == NetworkMode::kNone;
      std::vector<std::string>& dirs = policy_.seccomp_->socket_dirs.emplace();
      for (const LandlockOnlyRule& rule : policy_.landlock_only_.rules) {
        if (rule.writable) dirs.push_back(rule.path);
      }
    }
    // Whatever capabilities the caller has go; the bounding set only where it may be cut.
    policy_.capabilities_ = CapabilityPlan{CapabilityPlan::Mode::kExactly, 0, true};
    // RLIMIT_NPROC counts every process of the caller's real uid, not the sandbox's (there is
    // no user namespace of its own to count in): the job may start `pids` (or `nproc`) more
    // than the caller has now. Root keeps a cgroup's pids.max instead: the kernel never holds
    // uid 0 to RLIMIT_NPROC (fork(2) exempts it), so an nproc limit is refused for root.
    std::optional<uint64_t> more;
    if (caller_.uid != 0) {
      more = policy_.cgroup_.pids_max;
      policy_.cgroup_.pids_max.reset();
    }
    for (auto it = policy_.limits_.begin(); it != policy_.limits_.end(); ++it) {
      if (it->resource != RLIMIT_NPROC) continue;
      if (caller_.uid == 0 && it->value != RLIM_INFINITY) {
        Error e = MakeError(
            "--isolation landlock cannot hold root to an nproc limit: the kernel "
            "exempts uid 0 from RLIMIT_NPROC");
        e.hint = "use --limit pids=N (a delegated cgroup's pids.max), or run as another user";
        return WithOrigin(e, origin);
      }
      if (it->value != RLIM_INFINITY && (!more || it->value < *more)) more = it->value;
      policy_.limits_.erase(it);
      break;
    }
    if (more) {
      uint64_t now =
          caller_.count_user_processes != nullptr ? caller_.count_user_processes(caller_.uid) : 0;
      policy_.limits_.push_back({"nproc", RLIMIT_NPROC, now + *more});
    }
    return {};
  }

  // Not in bwrap mode: bubblewrap's tmpfs mounts are the kernel's default size unless --size.
  Result<void> BuildTmpfsBounds() {
    if (options_.bwrap) return {};
    MergeTmpfsRedefinitions(&policy_.mounts_);
    return BoundTmpfsMounts(tmpfs_request_, caller_.ram_bytes, &policy_.mounts_, &policy_.tmpfs_);
  }

  // Core dumps are off unless asked for: a dump of a build can hold secrets it read.
  Result<void> BuildLimits() {
    auto set = [this](const RlimitName& limit, uint64_t value) {
      for (ResourceLimit& l : policy_.limits_) {
        if (l.resource == limit.resource) {
          l.value = value;
          return;
        }
      }
      policy_.limits_.push_back({limit.name, limit.resource, value});
    };
    if (!options_.bwrap) set(*FindRlimit("core"), 0);  // bubblewrap leaves limits alone
    for (const auto& [name, text, origin] : options_.limits) {
      if (auto r = SetCgroupLimit(name, text); !r) return WithOrigin(r.error(), origin);
      if (name == "memory" || name == "pids" || name == "cpus") continue;
      if (name == "tmpfs" || name == "tmpfs_total") {
        auto bytes = ParseSize(text);
        if (!bytes) return WithOrigin(bytes.error(), origin);
        bool size = name == "tmpfs";
        (size ? tmpfs_request_.size : tmpfs_request_.total) = *bytes;
        (size ? tmpfs_request_.size_origin : tmpfs_request_.total_origin) = origin;
        continue;
      }
      const RlimitName* limit = FindRlimit(name);
      if (limit == nullptr) {
        Error e = MakeError("unknown limit \"" + name + "\"");
        e.hint = std::string("known limits: ") + RlimitNames() +
                 ", memory, pids, cpus, tmpfs, tmpfs_total";
        return WithOrigin(e, origin);
      }
      auto value = ParseRlimitValue(*limit, text);
      if (!value) return WithOrigin(value.error(), origin);
      set(*limit, *value);
    }
    return {};
  }

  static Error WithOrigin(Error e, const std::string& flag) {
    if (!e.where) e.where = SourceLocation{flag, 0, 0};
    return e;
  }

  const cli::CliOptions& options_;
  const Caller& caller_;
  Policy policy_;
  std::vector<seccomp::SocketId> connectable_;  // --bind-socket sources
  TmpfsRequest tmpfs_request_;
};

Result<Policy> Build(const cli::CliOptions& options, const Caller& caller) {
  return PolicyBuilder(options, caller).Build();
}

}  // namespace sandbox::policy

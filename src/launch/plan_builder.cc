#include "launch/plan_builder.h"

#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "common/bwrap_reexec.h"
#include "common/landlock_abi.h"
#include "launch/run_state.h"
#include "launch/user_limits.h"
#include "seccomp/compile.h"

namespace sandbox::launch {

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitizerBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitizerBuild = true;
#else
constexpr bool kSanitizerBuild = false;
#endif
#else
constexpr bool kSanitizerBuild = false;
#endif

std::string OctalMode(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// The default modes match bubblewrap: 0755 for --tmpfs and --dir.
constexpr mode_t kDefaultDirMode = 0755;
constexpr mode_t kDefaultFileMode = 0644;

// What each kind of mount lets the job do under Landlock. Everything visible is readable
// (the rule on "/"); writes need a rw bind, a tmpfs or a directory the sandbox made.
uint64_t LandlockAccessFor(MountKind kind) {
  using namespace landlock;
  switch (kind) {
    case MountKind::kBind:
      return kWrite;
    case MountKind::kDevBind:
      return kWrite | kIoctlDev;
    case MountKind::kTmpfs:
    case MountKind::kDir:
      return kWrite;
    case MountKind::kProc:
      return kRead | kWriteFile;
    case MountKind::kDev:
      return kRead | kWriteFile | kTruncate | kIoctlDev;
    case MountKind::kReadOnlyBind:
    case MountKind::kFile:
    case MountKind::kReadOnlyOverlay:
    case MountKind::kReadOnlyBindData:
      return kRead;
    case MountKind::kOverlay:
    case MountKind::kTmpOverlay:
    case MountKind::kMqueue:
    case MountKind::kBindData:
      return kWrite;
    case MountKind::kChmod:
      return 0;
    case MountKind::kSymlink:
    case MountKind::kMask:
    case MountKind::kRemountReadOnly:
      return 0;
  }
  return 0;
}

void AddLandlockRules(const policy::Policy& policy, child::ChildPlan& plan) {
  plan.landlock_abi = policy.landlock().abi;
  if (plan.landlock_abi <= 0) return;
  if (policy.isolation() == policy::Isolation::kLandlock) {
    // The host's own paths, as policy/landlock_only.h translated the mounts; nothing else.
    for (const policy::LandlockOnlyRule& rule : policy.landlock_only().rules) {
      plan.landlock_rules.push_back({plan.Intern(rule.path),
                                     rule.writable ? landlock::kWrite : landlock::kRead, false,
                                     false, 0, 0});
    }
    plan.landlock_net = policy.network() == policy::NetworkMode::kNone;
    return;
  }
  plan.landlock_rules.push_back({"/", landlock::kRead, false, false, 0, 0});
  for (const policy::MountOp& op : policy.mounts()) {
    uint64_t access = LandlockAccessFor(op.kind);
    // A socket the run names may be reached though its mount is read-only (ABI 9 and up).
    if (op.socket) access |= landlock::kResolveUnix;
    if (access == 0) continue;
    plan.landlock_rules.push_back({plan.Intern(op.target), access, op.optional, false, 0, 0});
    if (op.kind == MountKind::kDev) {
      // /dev/shm is a directory on the /dev tmpfs that POSIX shared memory writes into.
      plan.landlock_rules.push_back(
          {plan.Intern(op.target + "/shm"), landlock::kWrite, false, false, 0, 0});
    }
  }
}

// overlayfs unescapes a backslash before any character in layer, upper and work paths, and
// the legacy "lowerdir" list splits on ':' (overlayfs docs, "Multiple lower layers").
std::string EscapeForOverlay(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '\\' || c == ':' || c == ',') out += '\\';
    out += c;
  }
  return out;
}

// Paths as the child sees the host during setup: below the staging root's /oldroot.
void AddOverlayLayers(const policy::MountOp& op, child::ChildPlan& plan, child::MountStep* step) {
  std::vector<const char*>& layers = plan.overlay_layers.emplace_back();
  std::string joined;
  for (auto it = op.layers.rbegin(); it != op.layers.rend(); ++it) {  // top layer first
    std::string escaped = EscapeForOverlay("/oldroot" + *it);
    layers.push_back(plan.Intern(escaped));
    joined += (joined.empty() ? "" : ":") + escaped;
  }
  step->layers = layers.data();
  step->layer_count = layers.size();
  step->lowerdir_text = plan.Intern(joined);
  if (!op.upper.empty()) step->upper = plan.Intern(EscapeForOverlay("/oldroot" + op.upper));
  if (!op.work.empty()) step->work = plan.Intern(EscapeForOverlay("/oldroot" + op.work));
}

// bwrap mode: capabilities, descriptors, and the nested user namespace bubblewrap makes.
void AddBwrapControls(const policy::Policy& policy, child::ChildPlan& plan) {
  const policy::CapabilityPlan& caps = policy.capabilities();
  switch (caps.mode) {
    case policy::CapabilityPlan::Mode::kNone:
      plan.caps = child::ChildPlan::Caps::kDropAll;
      break;
    case policy::CapabilityPlan::Mode::kUnchanged:
      plan.caps = child::ChildPlan::Caps::kUnchanged;
      break;
    case policy::CapabilityPlan::Mode::kExactly:
      plan.caps = child::ChildPlan::Caps::kExactly;
      break;
  }
  plan.caps_keep = caps.keep;
  plan.caps_limit_bounding = caps.limit_bounding;
  plan.own_session = policy.own_session();
  const policy::Coordination& c = policy.coordination();
  plan.inherit_fds = c.inherit_fds;
  plan.consumed_fds = c.consumed;
  plan.hold_fd = c.sync_fd;
  plan.block_fd = c.block_fd;
  plan.userns2_fd = c.userns2_fd;
  plan.disable_userns = c.disable_userns;
  plan.assert_userns_disabled = c.assert_userns_disabled;
  // --userns: bubblewrap switches only to an id that differs from the caller's own (outside)
  // id, whatever the caller is mapped to inside. Policy refuses (uid_t)-1, the "keep" value.
  const policy::Identity& ids = policy.identity();
  if (c.userns_fd >= 0 && ids.inner_uid != ids.outer_uid) plan.switch_uid = ids.inner_uid;
  if (c.userns_fd >= 0 && ids.inner_gid != ids.outer_gid) plan.switch_gid = ids.inner_gid;
  if (!c.inherit_fds) return;  // the rest is bubblewrap's alone
  plan.die_with_parent = policy.die_with_parent();
  plan.init_drops_caps = true;
  // devpts needs uid 0 mapped in the namespace that mounts it; a run as another id is mapped
  // to 0 first and moves to its own id in a second namespace once the mounts are made.
  bool own_userns = (policy.namespaces() & CLONE_NEWUSER) != 0 && c.userns_block_fd < 0;
  bool needs_devpts = false;
  for (const policy::MountOp& op : policy.mounts()) needs_devpts |= op.kind == MountKind::kDev;
  const policy::Identity& id = policy.identity();
  plan.first_map_uid = id.inner_uid;
  plan.first_map_gid = id.inner_gid;
  if (own_userns && needs_devpts && (id.inner_uid != 0 || id.inner_gid != 0)) {
    plan.first_map_uid = 0;
    plan.first_map_gid = 0;
  }
  if (own_userns && (plan.first_map_uid != id.inner_uid || plan.first_map_gid != id.inner_gid ||
                     c.disable_userns)) {
    plan.nest_userns = true;
    plan.nest_uid = id.inner_uid;
    plan.nest_gid = id.inner_gid;
    plan.nest_outer_uid = plan.first_map_uid;
    plan.nest_outer_gid = plan.first_map_gid;
  }
  for (const std::string& program : policy.extra_seccomp_programs()) {
    std::vector<sock_filter>& filter =
        plan.extra_seccomp.emplace_back(program.size() / sizeof(sock_filter));
    std::memcpy(filter.data(), program.data(), filter.size() * sizeof(sock_filter));
  }
}

}  // namespace

ProcessImage CaptureProcessImage(int argc, char** argv, char** envp) {
  ProcessImage image;
  struct timespec now;
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  image.started_ns = int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
  if (argc > 0 && argv[0] != nullptr) {
    image.args_begin = argv[0];
    image.args_end = argv[argc - 1] + std::strlen(argv[argc - 1]) + 1;
  }
  if (envp != nullptr && envp[0] != nullptr) {
    int n = 0;
    while (envp[n] != nullptr) ++n;
    image.env_begin = envp[0];
    image.env_end = envp[n - 1] + std::strlen(envp[n - 1]) + 1;
    // The kernel lays the strings out contiguously; refuse anything else rather than wipe
    // memory we do not own.
    if (image.env_end <= image.env_begin) image.env_begin = image.env_end = nullptr;
  }
  if (FILE* f = std::fopen("/proc/sys/kernel/cap_last_cap", "re")) {
    int last = 0;
    if (std::fscanf(f, "%d", &last) == 1 && last > 0 && last < 64) image.last_capability = last;
    std::fclose(f);
  }
  image.umask = ::umask(022);
  ::umask(image.umask);
  return image;
}

Result<std::unique_ptr<child::ChildPlan>> BuildChildPlan(const policy::Policy& policy,
                                                         const ProcessImage& image) {
  auto plan = std::make_unique<child::ChildPlan>();
  int index = 0;
  for (const policy::MountOp& op : policy.mounts()) {
    child::MountStep step;
    step.kind = op.kind;
    step.optional = op.optional;
    step.op_index = index++;
    step.target = plan->Intern(op.target.substr(1));  // normalised: always starts with '/'
    switch (op.kind) {
      case MountKind::kBind:
      case MountKind::kReadOnlyBind:
      case MountKind::kDevBind:
        step.source = plan->Intern(op.source.substr(1));  // canonical: always absolute
        step.source_fd = op.source_fd;
        break;
      case MountKind::kSymlink:
        step.source = plan->Intern(op.source);
        break;
      case MountKind::kTmpfs:
      case MountKind::kDev:
        if (op.kind == MountKind::kTmpfs) {
          step.mode = op.mode.value_or(kDefaultDirMode);
          step.mode_text = plan->Intern(OctalMode(step.mode));
        }
        // kDev: the size of its own /dev/shm (without one, bwrap mode, shm is a directory).
        if (op.size_bytes) step.size_text = plan->Intern(std::to_string(*op.size_bytes));
        step.watch_full = policy.tmpfs().bounded && op.size_bytes.has_value();
        step.size_bytes = op.size_bytes.value_or(0);
        step.watch_target =
            op.kind == MountKind::kDev ? plan->Intern(op.target.substr(1) + "/shm") : step.target;
        break;
      case MountKind::kDir:
        step.mode = op.mode.value_or(kDefaultDirMode);
        break;
      case MountKind::kFile:
        step.mode = op.mode.value_or(kDefaultFileMode);
        step.content = plan->Intern(op.content);
        step.content_size = op.content.size();
        break;
      case MountKind::kBindData:
      case MountKind::kReadOnlyBindData:
        step.mode = op.mode.value_or(0600);
        step.content = plan->Intern(op.content);
        step.content_size = op.content.size();
        break;
      case MountKind::kChmod:
        step.mode = op.mode.value_or(0755);
        break;
      case MountKind::kOverlay:
      case MountKind::kTmpOverlay:
      case MountKind::kReadOnlyOverlay:
        AddOverlayLayers(op, *plan, &step);
        if (op.capture_changes && !op.layers.empty()) {
          step.capture_changes = true;
          step.source = plan->Intern(op.layers.back().substr(1));
          if (op.size_bytes) step.size_text = plan->Intern(std::to_string(*op.size_bytes));
          step.mode_text = "0755";
        }
        break;
      case MountKind::kProc:
        // Without a pid namespace of its own a fresh proc is refused (it would show the host's
        // processes to a namespace that does not own them): bind the host's, as bubblewrap.
        step.host_proc =
            (policy.namespaces() & CLONE_NEWPID) == 0 && policy.coordination().pidns_fd < 0;
        break;
      case MountKind::kRemountReadOnly:
      case MountKind::kMask:
      case MountKind::kMqueue:
        break;
    }
    if (policy.landlock().abi > 0) step.landlock_access = LandlockAccessFor(op.kind);
    step.recursive = op.recursive;
    if (op.parent_mode) step.parent_mode = *op.parent_mode;
    plan->mounts.push_back(step);
  }

  if (policy.tmpfs().bounded) {
    plan->own_tmpfs_size_text = plan->Intern(std::to_string(policy.tmpfs().own_bytes));
  }
  plan->seal_own_mounts = policy.seal_own_mounts();

  const policy::Identity& id = policy.identity();
  plan->inner_uid = id.inner_uid;
  plan->inner_gid = id.inner_gid;
  plan->first_map_uid = plan->inner_uid;
  plan->first_map_gid = plan->inner_gid;
  AddBwrapControls(policy, *plan);
  // The child maps the caller onto first_map_* (inner_* unless a nested namespace follows); not
  // at all without a user namespace of its own, nor under bwrap's --userns-block-fd, where the
  // caller writes the maps once --info-fd told it the pid.
  plan->uid_map = plan->Intern(std::to_string(plan->first_map_uid) + " " +
                               std::to_string(id.outer_uid) + " 1\n");
  plan->gid_map = plan->Intern(std::to_string(plan->first_map_gid) + " " +
                               std::to_string(id.outer_gid) + " 1\n");
  plan->write_id_maps =
      (policy.namespaces() & CLONE_NEWUSER) != 0 && policy.coordination().userns_block_fd < 0;
  plan->wait_for_go = policy.coordination().userns_block_fd >= 0;
  // A namespace of our own and mapped by us: pid 1 is its root and bounds its share of the
  // caller's per-user kernel objects (launch/user_limits.h).
  // With --host-proc in a container whose /proc/sys is read-only there is no way to write them:
  // the run says so (app/run.cc) and goes on without.
  if (plan->write_id_maps && (!policy.host_proc() || CallersProcSysUserWritable())) {
    const seccomp::Settings* filter = policy.seccomp() ? &*policy.seccomp() : nullptr;
    auto limits = ReadUserLimits(JobMayCreateNamespaces(filter));
    if (!limits) plan->user_limits_error = plan->Intern(limits.error().ToString());
    for (const UserLimit& limit : limits ? *limits : std::vector<UserLimit>{}) {
      plan->user_limits.push_back(
          {plan->Intern(limit.name), plan->Intern(std::to_string(limit.value))});
    }
  }
  plan->hostname = plan->Intern(policy.hostname());
  plan->bring_up_loopback = (policy.namespaces() & CLONE_NEWNET) != 0;
  plan->egress = plan->bring_up_loopback && policy.egress().on();
  plan->egress_proxy_port = egress::kProxyPort;
  plan->set_hostname = (policy.namespaces() & CLONE_NEWUTS) != 0;
  plan->own_pid_namespace = (policy.namespaces() & CLONE_NEWPID) != 0;
  plan->job_is_pid1 = policy.job_is_pid1();
  // --isolation landlock: the child cloned is the job, and its status the run's.
  plan->landlock_only = policy.isolation() == policy::Isolation::kLandlock;
  if (plan->landlock_only) plan->job_is_pid1 = true;
  for (const std::string& path : policy.lock_files())
    plan->lock_files.push_back(plan->Intern(path));
  plan->cwd = plan->Intern(policy.cwd());
  plan->cwd_required = policy.cwd_required();
  plan->umask = image.umask;
  plan->main_started_ns = image.started_ns;

  for (const std::string& arg : policy.command()) {
    plan->argv.push_back(const_cast<char*>(plan->Intern(arg)));
  }
  plan->argv.push_back(nullptr);
  if (policy.argv0()) {
    plan->exec_name = plan->argv[0];
    plan->argv[0] = const_cast<char*>(plan->Intern(*policy.argv0()));
  }
  if (policy.reexec_as_bwrap()) {
    plan->argv_as_bwrap = plan->argv;
    plan->argv_as_bwrap.insert(plan->argv_as_bwrap.begin() + 1,
                               const_cast<char*>(plan->Intern(kBwrapReexecArg)));
  }
  std::string_view path_value;
  for (const std::string& entry : policy.environment()) {
    const char* interned = plan->Intern(entry);
    plan->envp.push_back(const_cast<char*>(interned));
    if (std::string_view(interned).substr(0, 5) == "PATH=")
      path_value = std::string_view(interned + 5);
  }
  plan->envp.push_back(nullptr);
  if (!policy.cwd_fallback().empty()) plan->cwd_fallback = plan->Intern(policy.cwd_fallback());
  if (policy.pwd_index() && *policy.pwd_index() < policy.environment().size()) {
    size_t at = *policy.pwd_index();
    if (plan->cwd_fallback != nullptr) {
      plan->envp_fallback = plan->envp;
      plan->envp_fallback[at] = const_cast<char*>(plan->Intern("PWD=" + policy.cwd_fallback()));
    }
    plan->envp_root = plan->envp;
    plan->envp_root[at] = const_cast<char*>(plan->Intern("PWD=/"));
  }
  for (const std::string& dir : SplitSearchPath(path_value)) {
    plan->path_dirs.push_back(plan->Intern(dir));
  }

  for (const policy::ResourceLimit& limit : policy.limits()) {
    plan->limits.push_back({limit.resource, limit.value, plan->Intern(limit.name)});
  }
  AddLandlockRules(policy, *plan);
  if (policy.seccomp()) {
    auto filter = seccomp::Compile(*policy.seccomp());
    if (!filter) return filter.error();
    plan->seccomp_program = std::move(filter->program);
    plan->seccomp_listener = filter->needs_listener;
  }
  plan->report_steps = policy.verbose();
  plan->pass_fds = policy.pass_fds();
  plan->new_session = policy.new_session();
  if (policy.terminal()) {
    plan->terminal = true;
    struct winsize size = {};
    if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0) {
      plan->terminal_rows = size.ws_row;
      plan->terminal_cols = size.ws_col;
    }
  }
  // The job's setup needs a few KiB of stack (RunJob, the exec search); the rest is never
  // touched. Sanitizer builds keep fork(): AddressSanitizer does not follow a job running on a
  // stack of its own in pid 1's memory (it warns on the job's stderr). bwrap mode forks too:
  // pid 1 drops its capabilities while the job waits.
  if (!kSanitizerBuild && !plan->init_drops_caps && !plan->landlock_only) {
    constexpr size_t kJobStackSize = 256 * 1024;
    if (!plan->job_stack.Allocate(kJobStackSize)) {
      return MakeError("cannot map the job's stack", errno);
    }
  }
  plan->last_capability = image.last_capability;
  plan->env_begin = image.env_begin;
  plan->env_end = image.env_end;
  plan->args_begin = image.args_begin;
  plan->args_end = image.args_end;
  return plan;
}

}  // namespace sandbox::launch

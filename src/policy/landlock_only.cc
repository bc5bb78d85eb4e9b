#include "policy/landlock_only.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>

namespace sandbox::policy {
namespace {

constexpr const char* kFix = "bind it at its own path, or run where user namespaces work";

// `inner` is `outer` or below it.
bool Beneath(const std::string& inner, const std::string& outer) {
  if (outer == "/") return true;
  return inner == outer ||
         (inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
          inner[outer.size()] == '/');
}

Error Refused(const MountOp& op, const std::string& what, const char* fix = kFix) {
  Error e = MakeError("--isolation landlock cannot " + what + " (no mount namespace)");
  e.hint = fix;
  e.where = op.origin;
  return e;
}

class Translator {
 public:
  explicit Translator(const HostView& host) : host_(host) {}

  Result<LandlockOnlyPlan> Run(const std::vector<MountOp>& mounts) {
    for (const MountOp& op : mounts) {
      if (auto r = Translate(op); !r) return r.error();
    }
    if (auto r = CheckNesting(); !r) return r.error();
    for (const MountOp* mask : masks_) {
      for (const LandlockOnlyRule& rule : plan_.rules) {
        if (Beneath(mask->target, rule.path)) {
          return Refused(
              *mask, "hide " + mask->target + " inside " + rule.path + ", which the job may read");
        }
      }
    }
    return std::move(plan_);
  }

 private:
  void Allow(const std::string& path, bool writable, const MountOp& op) {
    plan_.rules.push_back({path, writable, op.origin});
  }

  Result<void> Translate(const MountOp& op) {
    switch (op.kind) {
      case MountKind::kBind:
      case MountKind::kDevBind:
      case MountKind::kReadOnlyBind: {
        bool writable = op.kind != MountKind::kReadOnlyBind;
        if (op.source == op.target ||
            (host_.exists(op.target) && host_.same_file(op.source, op.target))) {
          Allow(op.target, writable, op);
          return {};
        }
        if (op.optional) {
          plan_.lacks.push_back(op.target + " (would show " + op.source + ")");
          return {};
        }
        return Refused(op, "show " + op.source + " at " + op.target);
      }
      case MountKind::kProc:
        if (op.target != "/proc") return Refused(op, "mount a proc at " + op.target);
        Allow("/proc", false, op);
        plan_.lacks.push_back("a pid namespace: /proc is the host's, its processes are listed");
        return {};
      case MountKind::kDev:
        if (op.target != "/dev") return Refused(op, "make a /dev at " + op.target);
        for (const char* device :
             {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"}) {
          if (host_.exists(device)) Allow(device, true, op);
        }
        plan_.lacks.push_back("/dev/shm and a devpts of its own");
        return {};
      case MountKind::kTmpfs:
        if (op.target != "/tmp") return Refused(op, "mount a tmpfs at " + op.target);
        plan_.private_tmp = true;
        plan_.lacks.push_back("a /tmp of its own: TMPDIR names a private directory instead");
        return {};
      case MountKind::kSymlink:
        if (host_.link_text(op.target) == op.source) return {};
        return Refused(op, "make the symlink " + op.target + " -> " + op.source,
                       "use a profile whose symlinks the host already has, or run where user "
                       "namespaces work");
      case MountKind::kDir:
        if (host_.is_dir(op.target)) return {};
        return Refused(op, "create the directory " + op.target);
      case MountKind::kFile:
      case MountKind::kBindData:
      case MountKind::kReadOnlyBindData:
        // Generated files (/etc/passwd, the resolver's files of network "none") are replaced
        // by the host's own, readable: said in the note, never passed over in silence.
        if (host_.exists(op.target)) {
          Allow(op.target, false, op);
          plan_.lacks.push_back(op.target + " of its own (the host's is shown)");
          return {};
        }
        return Refused(op, "write the file " + op.target);
      case MountKind::kMask:
        masks_.push_back(&op);
        return {};
      case MountKind::kRemountReadOnly:
        return Refused(op, "remount " + op.target + " read-only");
      case MountKind::kChmod:
        return Refused(op, "change the mode of " + op.target);
      case MountKind::kMqueue:
        return Refused(op, "mount an mqueue at " + op.target);
      case MountKind::kOverlay:
      case MountKind::kTmpOverlay:
      case MountKind::kReadOnlyOverlay:
        return Refused(op, "mount an overlay at " + op.target);
    }
    return {};
  }

  // Landlock only adds rights: a path the profile keeps read-only inside one it makes writable
  // (the workspace's .git) would be writable.
  Result<void> CheckNesting() const {
    for (const LandlockOnlyRule& ro : plan_.rules) {
      if (ro.writable) continue;
      for (const LandlockOnlyRule& rw : plan_.rules) {
        if (!rw.writable || !Beneath(ro.path, rw.path)) continue;
        Error e =
            MakeError("--isolation landlock cannot keep " + ro.path +
                      " read-only inside writable " + rw.path + " (Landlock grants by directory)");
        e.hint =
            "for the workspace's VCS metadata: --workspace-vcs rw (or --unprotect PATH) to accept "
            "it writable, or run where user namespaces work";
        e.where = ro.origin;
        return e;
      }
    }
    return {};
  }

  const HostView& host_;
  LandlockOnlyPlan plan_;
  std::vector<const MountOp*> masks_;
};

bool RealExists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool RealIsDir(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool RealSameFile(const std::string& a, const std::string& b) {
  struct stat sa;
  struct stat sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

std::string RealLinkText(const std::string& path) {
  char text[PATH_MAX];
  ssize_t n = ::readlink(path.c_str(), text, sizeof(text));
  return n > 0 ? std::string(text, static_cast<size_t>(n)) : std::string();
}

}  // namespace

std::string IsolationNote(const Policy& policy) {
  if (policy.isolation() != Isolation::kLandlock) return "";
  std::string note =
      "isolation landlock: no mount, pid, ipc, uts or network namespace: host pids visible, same "
      "hostname, the job runs as uid " +
      std::to_string(policy.identity().outer_uid) + ", ";
  note += policy.network() == NetworkMode::kHost
              ? "the host's network (--share-net)"
              : "the host's network stack (only unix sockets may be made, no TCP bind or connect)";
  if (policy.landlock().abi < 6) {
    note += ", the host's abstract unix sockets and processes reachable (Landlock ABI " +
            std::to_string(policy.landlock().abi) + " < 6 has no scoping)";
  }
  note += ", RLIMIT_NPROC counts all of the caller's processes";
  const std::vector<std::string>& lacks = policy.landlock_only().lacks;
  for (size_t i = 0; i < lacks.size(); ++i) note += (i == 0 ? "; also lacking: " : "; ") + lacks[i];
  return note;
}

HostView HostView::Real() { return {RealExists, RealIsDir, RealSameFile, RealLinkText}; }

Result<LandlockOnlyPlan> TranslateForLandlockOnly(const std::vector<MountOp>& mounts,
                                                  const HostView& host) {
  return Translator(host).Run(mounts);
}

}  // namespace sandbox::policy

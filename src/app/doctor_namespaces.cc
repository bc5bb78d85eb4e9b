// The doctor's checks that try the real thing in a forked child: a user namespace with id
// maps, a fresh proc in a new pid namespace, an overlay mount. Each child answers through a
// pipe with the step that failed and its errno; the host is never changed (the mounts live
// and die in the child's own mount namespace).
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "app/doctor.h"
#include "common/syscalls.h"
#include "common/unique_fd.h"

namespace sandbox::app::doctor {
namespace {

constexpr int kAnswerTimeoutMs = 5000;

// What a probe child sends back: error 0 and an empty step mean success.
struct Answer {
  int error = 0;
  char step[96] = {};
  char note[96] = {};
};

[[noreturn]] void Reply(int fd, const char* step, int error, const char* note = "") {
  Answer answer;
  answer.error = error;
  std::strncpy(answer.step, step, sizeof(answer.step) - 1);
  std::strncpy(answer.note, note, sizeof(answer.note) - 1);
  ssize_t ignored = ::write(fd, &answer, sizeof(answer));
  (void)ignored;
  ::_exit(0);
}

bool WriteProcFile(const char* path, const std::string& text) {
  int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int saved = errno;
  ::close(fd);
  errno = saved;
  return ok;
}

// unshare(flags | CLONE_NEWUSER), then the same maps the supervisor writes: the caller becomes
// root inside (user_namespaces(7): setgroups must be denied before gid_map is written).
void EnterUserNamespace(int fd, int flags, uid_t uid, gid_t gid) {
  if (::unshare(CLONE_NEWUSER | flags) != 0) Reply(fd, "unshare", errno);
  if (!WriteProcFile("/proc/self/setgroups", "deny") && errno != ENOENT) {
    Reply(fd, "write /proc/self/setgroups", errno);
  }
  if (!WriteProcFile("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1")) {
    Reply(fd, "write /proc/self/uid_map", errno);
  }
  if (!WriteProcFile("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1")) {
    Reply(fd, "write /proc/self/gid_map", errno);
  }
}

void UserNamespaceProbe(int fd, uid_t uid, gid_t gid) {
  EnterUserNamespace(fd, 0, uid, gid);
  Reply(fd, "", 0);
}

// Exactly what the sandbox's pid 1 does: fsopen("proc") in the new pid namespace. The kernel
// refuses (EPERM) when this mount namespace has no fully visible proc (mount_too_revealing).
void ProcProbe(int fd, uid_t uid, gid_t gid) {
  EnterUserNamespace(fd, CLONE_NEWNS | CLONE_NEWPID, uid, gid);
  pid_t init = ::fork();  // the first child of unshare(CLONE_NEWPID) is that namespace's pid 1
  if (init < 0) Reply(fd, "fork", errno);
  if (init == 0) {
    int fs = sys::FsOpen("proc", FSOPEN_CLOEXEC);
    if (fs < 0) Reply(fd, "fsopen(proc)", errno);
    if (sys::FsConfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) {
      Reply(fd, "create proc", errno);
    }
    int mnt =
        sys::FsMount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    if (mnt < 0) Reply(fd, "fsmount(proc)", errno);
    Reply(fd, "", 0);
  }
  int status = 0;
  while (::waitpid(init, &status, 0) < 0 && errno == EINTR) {
  }
  ::_exit(0);
}

// An overlay of tmpfs directories, inside a tmpfs over /tmp in a private mount namespace.
// Unprivileged overlay needs Linux ≥ 5.11; "userxattr" keeps its metadata in user.* xattrs
// where trusted.* ones are out of reach.
void OverlayProbe(int fd, uid_t uid, gid_t gid) {
  EnterUserNamespace(fd, CLONE_NEWNS, uid, gid);
  if (sys::Mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
    Reply(fd, "make / private", errno);
  }
  if (sys::Mount("tmpfs", "/tmp", "tmpfs", 0, "mode=0700") < 0) Reply(fd, "mount tmpfs", errno);
  for (const char* dir : {"/tmp/lower", "/tmp/upper", "/tmp/work", "/tmp/merged"}) {
    if (::mkdir(dir, 0700) < 0) Reply(fd, "mkdir", errno);
  }
  const char* options = "lowerdir=/tmp/lower,upperdir=/tmp/upper,workdir=/tmp/work";
  if (sys::Mount("overlay", "/tmp/merged", "overlay", 0, options) == 0) Reply(fd, "", 0);
  int plain_error = errno;
  std::string with_userxattr = std::string(options) + ",userxattr";
  if (sys::Mount("overlay", "/tmp/merged", "overlay", 0, with_userxattr.c_str()) == 0) {
    Reply(fd, "", 0, "with the userxattr option");
  }
  Reply(fd, "mount overlay", plain_error);
}

// Forks, runs `probe` in the child and waits for its Answer. A child that dies or hangs
// without answering is reported as such.
Answer TryInChild(void (*probe)(int fd, uid_t uid, gid_t gid)) {
  Answer answer;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) {
    answer.error = errno;
    std::strcpy(answer.step, "pipe");
    return answer;
  }
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  pid_t pid = ::fork();
  if (pid < 0) {
    answer.error = errno;
    std::strcpy(answer.step, "fork");
    return answer;
  }
  if (pid == 0) {
    read_end.Reset();
    probe(write_end.get(), uid, gid);
    ::_exit(0);
  }
  write_end.Reset();
  struct pollfd p = {read_end.get(), POLLIN, 0};
  int ready = ::poll(&p, 1, kAnswerTimeoutMs);
  bool answered = ready == 1 && ::read(read_end.get(), &answer, sizeof(answer)) ==
                                    static_cast<ssize_t>(sizeof(answer));
  if (ready == 0) ::kill(pid, SIGKILL);  // hung: the check fails rather than doctor
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!answered) {
    answer = Answer();
    answer.error = -1;
    if (ready == 0) {
      (void)std::snprintf(answer.step, sizeof(answer.step), "no answer within %d s",
                          kAnswerTimeoutMs / 1000);
    } else if (WIFSIGNALED(status)) {
      (void)std::snprintf(answer.step, sizeof(answer.step), "the check's child died of signal %d",
                          WTERMSIG(status));
    } else {
      (void)std::snprintf(answer.step, sizeof(answer.step), "the check's child gave no answer");
    }
  }
  return answer;
}

std::string Describe(const Answer& answer) {
  std::string text = answer.step;
  if (answer.error > 0) text += std::string(": ") + std::strerror(answer.error);
  return text;
}

// The probes below the user namespace check fail there first when user namespaces do.
bool FailedEnteringUserNamespace(const Answer& answer) {
  std::string step = answer.step;
  return step == "unshare" || step.rfind("write /proc/self/", 0) == 0;
}

std::string SysctlSummary(const HostFiles& files) {
  std::string text;
  auto add = [&](const char* name, const char* path) {
    auto value = files.ReadInt(path);
    if (!value) return;
    text += (text.empty() ? "" : ", ") + std::string(name) + " = " + std::to_string(*value);
  };
  add("user.max_user_namespaces", "/proc/sys/user/max_user_namespaces");
  add("kernel.unprivileged_userns_clone", "/proc/sys/kernel/unprivileged_userns_clone");
  add("kernel.apparmor_restrict_unprivileged_userns",
      "/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  return text;
}

}  // namespace

CheckResult ExplainUserNamespaceFailure(const HostFiles& files, const std::string& step,
                                        int error) {
  CheckResult result;
  result.name = "user namespaces";
  result.required = true;
  result.detail = step + (error > 0 ? std::string(": ") + std::strerror(error) : "");
  std::string sysctls = SysctlSummary(files);
  if (!sysctls.empty()) result.detail += " (" + sysctls + ")";

  // The most specific cause first.
  auto max = files.ReadInt("/proc/sys/user/max_user_namespaces");
  auto clone = files.ReadInt("/proc/sys/kernel/unprivileged_userns_clone");
  auto apparmor = files.ReadInt("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  bool filtered =
      StatusField(files.Read("/proc/self/status").value_or(""), "Seccomp").value_or("0") == "2";
  if (max && *max == 0) {
    result.fix = "sudo sysctl -w user.max_user_namespaces=15000 (and set it in /etc/sysctl.d/)";
  } else if (clone && *clone == 0) {
    result.fix = "sudo sysctl -w kernel.unprivileged_userns_clone=1 (and set it in /etc/sysctl.d/)";
  } else if (apparmor && *apparmor != 0) {
    result.fix =
        "allow user namespaces for sandbox with an AppArmor profile granting `userns,` "
        "(e.g. /etc/apparmor.d/sandbox), or sudo sysctl -w "
        "kernel.apparmor_restrict_unprivileged_userns=0";
  } else if (error == ENOSPC || error == EUSERS) {
    result.fix =
        "the limit of user namespaces is reached (or 32 are nested): raise "
        "user.max_user_namespaces, or run fewer at once";
  } else if (filtered && error == EPERM) {
    result.fix =
        "this process runs under a seccomp filter that refuses unshare (a container's?): "
        "run the container with --security-opt seccomp=unconfined or a profile allowing "
        "user namespaces";
  } else {
    result.fix =
        "a kernel built with CONFIG_USER_NS (Linux >= 5.12) that lets unprivileged "
        "users create user namespaces";
  }
  return result;
}

CheckResult CheckUserNamespaces(const HostFiles& files) {
  Answer answer = TryInChild(UserNamespaceProbe);
  if (answer.error != 0) return ExplainUserNamespaceFailure(files, answer.step, answer.error);
  CheckResult result;
  result.name = "user namespaces";
  result.required = true;
  result.ok = true;
  result.detail = "unshare(CLONE_NEWUSER) and the id maps work";
  std::string sysctls = SysctlSummary(files);
  if (!sysctls.empty()) result.detail += " (" + sysctls + ")";
  return result;
}

CheckResult CheckProcMount() {
  CheckResult result;
  result.name = "mount proc";
  result.required = true;
  Answer answer = TryInChild(ProcProbe);
  if (answer.error == 0) {
    result.ok = true;
    result.detail = "a fresh proc mounts in a new user, pid and mount namespace";
    return result;
  }
  result.detail = Describe(answer);
  if (FailedEnteringUserNamespace(answer)) {
    result.fix = "see the user namespaces line";
  } else if (answer.error == EPERM) {
    result.fix =
        "this /proc has masked or read-only parts (as in most containers), so the kernel "
        "refuses a fresh one: run with --host-proc (this /proc, read-only), outside the "
        "container, or give it an unmasked /proc (docker run --security-opt "
        "systempaths=unconfined)";
  }
  return result;
}

CheckResult CheckOverlayfs() {
  CheckResult result;
  result.name = "overlayfs";
  Answer answer = TryInChild(OverlayProbe);
  if (answer.error == 0) {
    result.ok = true;
    result.detail = "an overlay mounts in a user namespace";
    if (answer.note[0] != '\0') result.detail += std::string(" (") + answer.note + ")";
    return result;
  }
  result.detail = Describe(answer) + " (optional: only overlay mounts need it)";
  if (FailedEnteringUserNamespace(answer)) {
    result.fix = "see the user namespaces line";
  } else if (answer.error == ENODEV) {
    result.fix = "sudo modprobe overlay";
  } else {
    result.fix = "Linux >= 5.11 mounts overlayfs in user namespaces";
  }
  return result;
}

}  // namespace sandbox::app::doctor

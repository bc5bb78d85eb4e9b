#include "common/listener_handover.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/record.h"

namespace sandbox {
namespace {

constexpr int kDumpableUser = 1;  // SUID_DUMP_USER (prctl(2) PR_GET_DUMPABLE)

// The listener is taken by the supervisor with pidfd_getfd(2), which asks for
// PTRACE_MODE_ATTACH_REALCREDS on this process (ptrace(2), "Ptrace access mode checking"):
// - the ids: this process runs with the caller's uid and gid (the sandbox maps one id, the
//   caller's), the supervisor's real ids; and were they others (a mapped range), the
//   supervisor owns the sandbox's user namespace, so it holds CAP_SYS_PTRACE there;
// - the memory: a dumpable process passes; a non-dumpable one needs CAP_SYS_PTRACE in the user
//   namespace of its mm, which is the one the supervisor's binary was exec'd in (clone and fork
//   keep the mm's namespace; only execve sets a new one), where an unprivileged supervisor has
//   none: EPERM. Hence the caller checks that this process is dumpable (`sandbox enter`'s is
//   not, on purpose, until its execve) and uses the helper otherwise;
// - Yama: ptrace_scope 1 lets an ancestor attach (the supervisor is this process's grandparent
//   or parent) and 2 whoever has CAP_SYS_PTRACE in this process's user namespace (again the
//   supervisor, its owner); 3 refuses everyone, and the supervisor then asks for the helper.
// The job waits for the supervisor's answer before it closes its copy: pidfd_getfd must find
// the listener under its number, and a job gone on to execve would have closed it (the kernel
// makes listeners close-on-exec).
int PullHandover(int sync_fd, const struct sock_fprog* program, bool* installed) noexcept {
  Record record;
  record.kind = RecordKind::kSeccompPidfd;
  record.step = SetupStep::kInstallSeccomp;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
  if (pidfd < 0) return errno;
  // Before the filter: this sendmsg is not the supervisor's to make yet.
  bool sent = SendRecordWithFd(sync_fd, record, pidfd);
  ::close(pidfd);
  if (!sent) return EPIPE;
  long listener =
      ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, program);
  if (listener < 0) return errno;
  *installed = true;
  record.kind = RecordKind::kSeccompListenerAt;
  record.status = static_cast<int32_t>(listener);
  // write(2), never trapped (send(2) is sendto(2), which a profile may deny), one message.
  ssize_t n;
  do {
    n = ::write(sync_fd, &record, sizeof(record));
  } while (n < 0 && errno == EINTR);
  unsigned char answer = EPIPE;
  if (n == static_cast<ssize_t>(sizeof(record))) {
    do {
      n = ::read(sync_fd, &answer, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) answer = EPIPE;  // EOF: the supervisor is gone
  }
  ::close(static_cast<int>(listener));
  return answer;
}

int HelperHandover(int sync_fd, const struct sock_fprog* program, bool* installed) noexcept {
  Record record;
  record.kind = RecordKind::kSeccompListener;
  record.step = SetupStep::kInstallSeccomp;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return errno;
  // The helper: a fork sharing this process's descriptor table (CLONE_FILES), made before the
  // filter exists, so it is not under it (filters are inherited, never added to others). The
  // listener's number reaches it through the pipe; its sendmsg is an ordinary one. A sendmsg
  // from here would wait for an answer from the supervisor, which has no listener yet.
  long helper = ::syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, nullptr, nullptr, 0);
  if (helper < 0) {
    int err = errno;
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return err;
  }
  if (helper == 0) {
    int listener = -1;
    ssize_t n;
    do {
      n = ::read(pipe_fds[0], &listener, sizeof(listener));
    } while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof(listener)) || listener < 0) ::_exit(2);
    ::_exit(SendRecordWithFd(sync_fd, record, listener) ? 0 : 1);
  }
  long listener =
      ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, program);
  int err = listener < 0 ? errno : 0;
  int number = static_cast<int>(listener);  // -1 sends the helper away
  ssize_t written;
  do {
    written = ::write(pipe_fds[1], &number, sizeof(number));
  } while (written < 0 && errno == EINTR);
  if (written != static_cast<ssize_t>(sizeof(number))) ::kill(static_cast<pid_t>(helper), SIGKILL);
  // The table is shared: the pipe stays open until the helper has read from it.
  int status = 0;
  while (::waitpid(static_cast<pid_t>(helper), &status, 0) < 0 && errno == EINTR) {
  }
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  if (err != 0) return err;
  *installed = true;
  ::close(number);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EPIPE;
}

}  // namespace

int InstallFilterAndHandOverListener(int sync_fd, ListenerHandover how,
                                     const struct sock_fprog* program, bool* installed) noexcept {
  *installed = false;
  if (how == ListenerHandover::kPull && ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == kDumpableUser) {
    int err = PullHandover(sync_fd, program, installed);
    // pidfd_open(2) is Linux 5.3; anything else is the handover's own failure.
    if (*installed || err != ENOSYS) return err;
  }
  return HelperHandover(sync_fd, program, installed);
}

}  // namespace sandbox

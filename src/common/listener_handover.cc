#include "common/listener_handover.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace sandbox {

int InstallFilterAndHandOverListener(int sync_fd, const Record& record,
                                     const struct sock_fprog* program, bool* installed) noexcept {
  *installed = false;
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

}  // namespace sandbox

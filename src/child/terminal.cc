#include "child/terminal.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "common/record.h"

namespace sandbox::child {

StepError OpenTerminal(const ChildPlan& plan, int* slave) noexcept {
  *slave = -1;
  int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) return StepFailed(SetupStep::kOpenTerminal, errno, "/dev/ptmx");
  int unlock = 0;
  StepError e;
  if (::ioctl(master, TIOCSPTLCK, &unlock) < 0) {
    e = StepFailed(SetupStep::kOpenTerminal, errno, "/dev/ptmx");
  }
  if (!e.failed() && plan.terminal_rows > 0 && plan.terminal_cols > 0) {
    struct winsize size = {};
    size.ws_row = plan.terminal_rows;
    size.ws_col = plan.terminal_cols;
    (void)::ioctl(master, TIOCSWINSZ, &size);
  }
  if (!e.failed()) {
    // TIOCGPTPEER opens the slave through the master, never by a path the job could swap.
    *slave = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*slave < 0) e = StepFailed(SetupStep::kOpenTerminal, errno, "/dev/ptmx");
  }
  if (!e.failed()) {
    Record record;
    record.kind = RecordKind::kTerminal;
    record.step = SetupStep::kOpenTerminal;
    if (!SendRecordWithFd(plan.sync_fd, record, master)) {
      e = StepFailed(SetupStep::kOpenTerminal, errno, nullptr, "cannot hand the terminal over");
    }
  }
  ::close(master);
  if (e.failed() && *slave >= 0) {
    ::close(*slave);
    *slave = -1;
  }
  return e;
}

StepError AttachTerminal(int slave) noexcept {
  if (::ioctl(slave, TIOCSCTTY, 0) < 0) return StepFailed(SetupStep::kOpenTerminal, errno);
  for (int fd = 0; fd <= 2; ++fd) {
    if (::dup2(slave, fd) < 0) return StepFailed(SetupStep::kOpenTerminal, errno);
  }
  ::close(slave);
  return StepOk();
}

}  // namespace sandbox::child

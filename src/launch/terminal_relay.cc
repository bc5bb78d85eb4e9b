#include "launch/terminal_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

#include "common/write_all.h"

namespace sandbox::launch {
TerminalRelay::TerminalRelay(UniqueFd master, int input, int output)
    : master_(std::move(master)), input_(input), output_(output), terminal_(input) {
  int flags = ::fcntl(master_.get(), F_GETFL);
  if (flags >= 0) ::fcntl(master_.get(), F_SETFL, flags | O_NONBLOCK);
  Resize();
}

short TerminalRelay::master_events() const {
  return static_cast<short>(POLLIN | (pending_.empty() ? 0 : POLLOUT));
}

void TerminalRelay::OnInput() {
  char buf[4096];
  ssize_t n = ::read(input_, buf, sizeof(buf));
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    // End of the caller's input: an end-of-file character, as a terminal user would type.
    input_open_ = false;
    pending_ += '\x04';
  } else {
    pending_.append(buf, static_cast<size_t>(n));
  }
  Flush();
}

void TerminalRelay::Flush() {
  while (!pending_.empty()) {
    ssize_t n = ::write(master_.get(), pending_.data(), pending_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EAGAIN: wait for POLLOUT
    pending_.erase(0, static_cast<size_t>(n));
  }
}

bool TerminalRelay::CopyOutput() {
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(master_.get(), buf, sizeof(buf));
    if (n > 0) {
      (void)WriteAll(output_, std::string_view(buf, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    // EAGAIN: drained for now. EIO: no slave is open any more.
    return n < 0 && errno == EAGAIN;
  }
}

bool TerminalRelay::OnMaster(short revents) {
  if (revents & POLLOUT) Flush();
  if (revents & (POLLIN | POLLHUP | POLLERR)) return CopyOutput();
  return true;
}

void TerminalRelay::Resize() {
  struct winsize size = {};
  if (::ioctl(input_, TIOCGWINSZ, &size) == 0 && size.ws_row > 0) {
    ::ioctl(master_.get(), TIOCSWINSZ, &size);
  }
}

void TerminalRelay::AddSignals(sigset_t* set) {
  sigaddset(set, SIGWINCH);
  sigaddset(set, SIGTSTP);
  sigaddset(set, SIGCONT);
}

bool TerminalRelay::Handles(int sig) { return sig == SIGWINCH || sig == SIGTSTP || sig == SIGCONT; }

void TerminalRelay::OnSignal(int sig) {
  if (sig == SIGWINCH) {
    Resize();
  } else if (sig == SIGTSTP) {
    terminal_.Restore();
    // SIGSTOP, not SIGTSTP: the latter is blocked here. Execution goes on after the SIGCONT.
    (void)::raise(SIGSTOP);
    OnSignal(SIGCONT);
  } else if (sig == SIGCONT) {
    terminal_.Reapply();
    Resize();
  }
}

void TerminalRelay::Drain() { (void)CopyOutput(); }

}  // namespace sandbox::launch

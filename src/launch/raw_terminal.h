// The caller's terminal in raw mode while a TerminalRelay owns it, and back in the caller's
// modes on every way out: the relay ending, the supervisor being suspended, and the supervisor
// dying of a signal it does not take through its signalfd (SIGPIPE from a closed output, a
// crash), which would otherwise leave the user's shell without echo or line editing.
#ifndef SANDBOX_LAUNCH_RAW_TERMINAL_H_
#define SANDBOX_LAUNCH_RAW_TERMINAL_H_

#include <termios.h>

namespace sandbox::launch {

class RawTerminal {
 public:
  /// If `fd` is a terminal: saves its modes, arms the fatal-signal handlers, then switches it
  /// to raw mode. Otherwise does nothing (active() is false). At most one RawTerminal may be
  /// active in a process: the handlers restore a single saved state.
  explicit RawTerminal(int fd);
  /// Restores the saved modes, then disarms the handlers.
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

  bool active() const { return active_; }

  /// Before the supervisor stops itself (SIGTSTP): the caller's modes come back.
  void Restore();
  /// After SIGCONT: raw again. After Restore() the modes are saved anew (the user may have
  /// changed them meanwhile); after an uncatchable SIGSTOP, during which the caller's shell put
  /// its own modes back, only the raw modes are reapplied.
  void Reapply();

 private:
  int fd_;
  bool active_ = false;
  bool raw_ = false;
  struct termios saved_ = {};
  struct termios raw_modes_ = {};
};

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_RAW_TERMINAL_H_

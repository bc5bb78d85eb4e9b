// The supervisor's side of --tty: relays between the caller's terminal and the master of the
// pseudo-terminal pid 1 opened in the sandbox. While it lives, the caller's terminal is in raw
// mode, so keys (Ctrl-C included) go to the job's terminal, whose line discipline turns them
// into signals for the job's foreground process group; the supervisor never sees them.
// Shared by the supervisor (`--tty`, `sandbox shell`) and `sandbox enter`; each polls
// input()/master() in its own loop and hands the relay the signals AddSignals names.
#ifndef SANDBOX_LAUNCH_TERMINAL_RELAY_H_
#define SANDBOX_LAUNCH_TERMINAL_RELAY_H_

#include <signal.h>

#include <string>

#include "common/unique_fd.h"
#include "launch/raw_terminal.h"

namespace sandbox::launch {

class TerminalRelay {
 public:
  /// Takes the pty master. `input`/`output` are the caller's ends (0 and 1); when `input` is a
  /// terminal it goes into raw mode until the relay is destroyed or the process dies of a
  /// signal (see RawTerminal). Create it after forking the job: the job must not inherit the
  /// relay's signal handlers.
  TerminalRelay(UniqueFd master, int input, int output);
  TerminalRelay(const TerminalRelay&) = delete;
  TerminalRelay& operator=(const TerminalRelay&) = delete;

  int master() const { return master_.get(); }
  /// The descriptor to poll for input, -1 after EOF or while the pty is full.
  int input() const { return input_open_ && pending_.empty() ? input_ : -1; }
  /// POLLIN, plus POLLOUT while typed input waits for room in the pty.
  short master_events() const;

  void OnInput();
  /// Master readable or writable; false once the pty has no slave left (the job is gone).
  bool OnMaster(short revents);
  /// SIGWINCH: the caller's window size goes to the pty (which signals the job).
  void Resize();

  /// Adds the signals the relay handles (SIGWINCH, SIGTSTP, SIGCONT) to `set`. The caller
  /// blocks them before creating the job and passes each one it reads to OnSignal.
  static void AddSignals(sigset_t* set);
  /// True for the signals AddSignals adds.
  static bool Handles(int sig);
  /// SIGWINCH: Resize. SIGTSTP (only ever sent with kill: in raw mode the caller's terminal
  /// generates no signals): the caller's modes come back and this process stops; the job keeps
  /// running. SIGCONT: raw mode again, and the size the window has now.
  void OnSignal(int sig);
  /// Copies what the job wrote before it ended.
  void Drain();

 private:
  bool CopyOutput();
  void Flush();

  UniqueFd master_;
  int input_;
  int output_;
  bool input_open_ = true;
  std::string pending_;  // typed, not yet accepted by the pty
  RawTerminal terminal_;
};

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_TERMINAL_RELAY_H_

#include "launch/raw_terminal.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>

namespace sandbox::launch {
namespace {

// Every signal whose default action ends the process. The supervisor takes the forwarded ones
// (SIGINT, SIGTERM, ...) through a signalfd while they are blocked, so a handler on them only
// matters to a caller that does not; SIGPIPE (the caller's output went away) and the crash
// signals are the real cases.
constexpr int kFatalSignals[] = {SIGHUP,  SIGINT,  SIGQUIT,   SIGILL,  SIGTRAP, SIGABRT,
                                 SIGBUS,  SIGFPE,  SIGUSR1,   SIGSEGV, SIGUSR2, SIGPIPE,
                                 SIGALRM, SIGTERM, SIGSTKFLT, SIGXCPU, SIGXFSZ, SIGVTALRM,
                                 SIGPROF, SIGIO,   SIGPWR,    SIGSYS};

// What the handler restores. Written only while the handlers are disarmed or the signals
// cannot yet reach them; read from the handler, hence plain data and a sig_atomic_t flag.
int g_fd = -1;
struct termios g_saved;
volatile sig_atomic_t g_armed = 0;
struct sigaction g_previous[std::size(kFatalSignals)];
bool g_installed[std::size(kFatalSignals)];

// A fault the kernel raised for an instruction, which runs again when the handler returns.
bool IsInstructionFault(int sig, const siginfo_t* info) {
  bool fault_signal = sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE;
  return fault_signal && info != nullptr && info->si_code > 0;  // > 0: sent by the kernel
}

// Async-signal-safe: tcsetattr, sigaction and raise are all on signal-safety(7)'s list.
// The previous action comes back, then the signal goes to it: a faulting instruction simply
// faults again on return (so a sanitizer's handler still sees the real address); any other
// signal is raised again, blocked while this runs and so delivered on return. With the default
// action the process then dies of the same signal, as it would have without us.
void RestoreAndRedeliver(int sig, siginfo_t* info, void* /*context*/) {
  int saved_errno = errno;
  if (g_armed != 0) ::tcsetattr(g_fd, TCSANOW, &g_saved);
  g_armed = 0;
  for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
    if (kFatalSignals[i] == sig && g_installed[i]) ::sigaction(sig, &g_previous[i], nullptr);
  }
  if (!IsInstructionFault(sig, info)) (void)::raise(sig);
  errno = saved_errno;
}

void InstallHandlers() {
  struct sigaction action = {};
  action.sa_sigaction = RestoreAndRedeliver;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
    g_installed[i] = false;
    struct sigaction current;
    if (::sigaction(kFatalSignals[i], nullptr, &current) < 0) continue;
    // An ignored signal cannot end us; leave it ignored.
    if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) continue;
    g_previous[i] = current;
    g_installed[i] = ::sigaction(kFatalSignals[i], &action, nullptr) == 0;
  }
}

void RemoveHandlers() {
  for (size_t i = 0; i < std::size(kFatalSignals); ++i) {
    if (g_installed[i]) ::sigaction(kFatalSignals[i], &g_previous[i], nullptr);
    g_installed[i] = false;
  }
}

}  // namespace

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  if (!::isatty(fd_) || ::tcgetattr(fd_, &saved_) < 0) return;
  active_ = true;
  g_fd = fd_;
  g_saved = saved_;
  // Armed before the switch: a signal between the two still finds the modes to restore.
  InstallHandlers();
  g_armed = 1;
  raw_modes_ = saved_;
  ::cfmakeraw(&raw_modes_);
  raw_ = ::tcsetattr(fd_, TCSADRAIN, &raw_modes_) == 0;
}

RawTerminal::~RawTerminal() {
  if (!active_) return;
  Restore();
  RemoveHandlers();
  g_fd = -1;
}

void RawTerminal::Restore() {
  if (!active_ || !raw_) return;
  ::tcsetattr(fd_, TCSADRAIN, &saved_);
  g_armed = 0;
  raw_ = false;
}

void RawTerminal::Reapply() {
  if (!active_) return;
  if (!raw_) {
    struct termios now;
    if (::tcgetattr(fd_, &now) < 0) return;
    g_armed = 0;
    saved_ = now;
    g_saved = now;
    raw_modes_ = now;
    ::cfmakeraw(&raw_modes_);
  }
  g_armed = 1;
  raw_ = ::tcsetattr(fd_, TCSADRAIN, &raw_modes_) == 0;
}

}  // namespace sandbox::launch

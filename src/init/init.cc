#include "init/init.h"

#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/exit_status.h"
#include "common/record.h"

namespace sandbox::init {

void ForwardedSignalSet(sigset_t* set) noexcept {
  sigemptyset(set);
  for (int sig : kForwardedSignals) sigaddset(set, sig);
  sigaddset(set, SIGCHLD);
}

namespace {

// After the job: every process of the sandbox is gone, so nothing writes any more. A mount the
// job left with no free block (or inode) is one where it met ENOSPC at the bound.
void ReportFullMounts(int sync_fd, const BoundedMount* bounded, size_t count) noexcept {
  for (size_t i = 0; i < count; ++i) {
    struct statfs fs;
    if (::fstatfs(bounded[i].fd, &fs) < 0) continue;
    if (fs.f_bavail != 0 && !(fs.f_files != 0 && fs.f_ffree == 0)) continue;
    Record record = MakeErrorRecord(RecordKind::kTmpfsFull, SetupStep::kCount, 0,
                                    bounded[i].op_index, bounded[i].target, nullptr);
    record.bytes = bounded[i].size_bytes;
    SendRecord(sync_fd, record);
  }
}

}  // namespace

[[noreturn]] void RunInit(pid_t job, int sync_fd, bool own_pid_namespace,
                          const BoundedMount* bounded, size_t bounded_count) noexcept {
  sigset_t set;
  ForwardedSignalSet(&set);
  for (;;) {
    // Signals stay blocked and are taken synchronously: pid 1 of a pid namespace only gets
    // signals from outside that it blocks or handles (pid_namespaces(7)), and sigwaitinfo
    // needs no handler running on an async stack.
    siginfo_t info;
    int sig = ::sigwaitinfo(&set, &info);
    if (sig < 0) continue;
    if (sig != SIGCHLD) {
      ::kill(job, sig);
      continue;
    }
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;       // no more zombies for now (ECHILD/0)
      if (pid != job) continue;  // a reparented orphan, reaped
      // Nothing of the job outlives it: every other process of the namespace is killed and
      // reaped before the status goes out, so the supervisor may return at once while the
      // kernel tears the namespaces down.
      // Those already dead are reaped first, so the count (for the report) is of processes
      // that were still running when the job ended.
      int32_t leftovers = 0;
      if (own_pid_namespace) {
        while (::waitpid(-1, nullptr, WNOHANG) > 0) {
        }
        ::kill(-1, SIGKILL);
        for (;;) {
          pid_t reaped = ::waitpid(-1, nullptr, 0);
          if (reaped > 0) {
            ++leftovers;
          } else if (errno != EINTR) {
            break;
          }
        }
      }
      ReportFullMounts(sync_fd, bounded, bounded_count);
      Record record;
      record.kind = RecordKind::kJobExited;
      record.status = status;
      record.leftovers = leftovers;
      SendRecord(sync_fd, record);
      if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
      ::_exit(kExitSignalBase + WTERMSIG(status));
    }
  }
}

}  // namespace sandbox::init

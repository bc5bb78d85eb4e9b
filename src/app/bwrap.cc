// bwrap mode: bubblewrap's command line through the sandbox's own Policy and launch path, with
// bubblewrap's words ("bwrap: ") and its exit status 1 for its own failures.
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "app/subcommands.h"
#include "bwrap/args.h"
#include "common/write_all.h"
#include "policy/build.h"
#include "report/exit_code.h"

namespace sandbox::app {
namespace {

// --info-fd and --json-status-fd, with bubblewrap's keys: the sandbox's pid (as seen here) and
// the ids of the namespaces it got, once it exists; the exit code at the end (json-status only,
// and only when the command ran).
class StatusFds : public launch::RunObserver {
 public:
  StatusFds(std::optional<int> info, std::optional<int> status, uint64_t namespaces)
      : info_(info.value_or(-1)), status_(status.value_or(-1)), namespaces_(namespaces) {}

  void OnStarted(pid_t init_pid, int /*pidfd*/) override {
    static constexpr struct {
      const char* name;
      uint64_t flag;
    } kNamespaces[] = {{"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"mnt", CLONE_NEWNS},
                       {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID}, {"uts", CLONE_NEWUTS}};
    std::string info = "{\n    \"child-pid\": " + std::to_string(init_pid);
    std::string status = "{ \"child-pid\": " + std::to_string(init_pid);
    for (const auto& ns : kNamespaces) {
      if ((namespaces_ & ns.flag) == 0) continue;
      struct stat st;
      std::string path = "/proc/" + std::to_string(init_pid) + "/ns/" + ns.name;
      if (::stat(path.c_str(), &st) != 0) continue;
      std::string key = std::string("\"") + ns.name + "-namespace\": " + std::to_string(st.st_ino);
      info += ",\n    " + key;
      status += ", " + key;
    }
    if (info_ >= 0) {
      (void)WriteAll(info_, info + "\n}\n");
      ::close(info_);
      info_ = -1;
    }
    if (status_ >= 0) (void)WriteAll(status_, status + " }\n");
  }

  void OnFinished(const report::Outcome& outcome) override {
    if (status_ < 0) return;
    if (outcome.kind == report::Outcome::Kind::kExited ||
        outcome.kind == report::Outcome::Kind::kSignaled) {
      (void)WriteAll(status_,
                     "{ \"exit-code\": " + std::to_string(report::ExitCodeFor(outcome)) + " }\n");
    }
    ::close(status_);
    status_ = -1;
  }

 private:
  int info_;
  int status_;
  uint64_t namespaces_;
};

}  // namespace

int BwrapMain(int argc, char** argv, const launch::ProcessImage& image) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = bwrap::ParseArgs(argv[0], args, ::getuid(), ::getgid(), bwrap::ReadWholeFd,
                                 policy::Caller::FromProcess().effective_capabilities);
  if (!parsed) {
    std::fprintf(stderr, "bwrap: %s\n", parsed.error().ToString().c_str());
    return 1;
  }
  for (const std::string& warning : parsed->warnings) {
    std::fprintf(stderr, "%sbwrap: %s\n", parsed->level_prefix ? "<4>" : "", warning.c_str());
  }
  if (parsed->exit_now) {
    std::fputs(parsed->text.c_str(), parsed->text_to_stderr ? stderr : stdout);
    return *parsed->exit_now;
  }
  const cli::CliOptions::Bwrap& b = *parsed->options.bwrap;
  uint64_t namespaces = CLONE_NEWUSER | CLONE_NEWNS;
  if (b.unshare_pid) namespaces |= CLONE_NEWPID;
  if (b.unshare_ipc) namespaces |= CLONE_NEWIPC;
  if (b.unshare_uts) namespaces |= CLONE_NEWUTS;
  if (b.unshare_net) namespaces |= CLONE_NEWNET;
  if (b.unshare_cgroup) namespaces |= CLONE_NEWCGROUP;
  StatusFds status(b.info_fd, b.json_status_fd, namespaces);
  return RunWithOptions(parsed->options, image, RunStyle{"bwrap: ", 1, true, true}, &status);
}

}  // namespace sandbox::app

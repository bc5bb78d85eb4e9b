// sandbox: dispatch to a subcommand, or run a job. Everything else lives in src/*/.
#include <unistd.h>

#include <cstring>
#include <string>

#include "app/subcommands.h"
#include "common/bwrap_reexec.h"
#include "launch/plan_builder.h"

namespace {

bool IsNamedBwrap(const char* path) {
  const char* base = std::strrchr(path, '/');
  return std::strcmp(base != nullptr ? base + 1 : path, "bwrap") == 0;
}

std::string OwnExecutable() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

}  // namespace

int main(int argc, char** argv, char** envp) {
  using namespace sandbox;
  // Captured first, before anything can move environ: pid 1 wipes this memory.
  launch::ProcessImage image = launch::CaptureProcessImage(argc, argv, envp);
  // Re-executed through /proc/PID/exe by a bwrap-mode job: bwrap mode again, with the name it
  // was executed by as argv[0] (common/bwrap_reexec.h).
  if (argc > 1 && std::strcmp(argv[1], kBwrapReexecArg) == 0) {
    argv[1] = argv[0];
    return app::BwrapMain(argc - 1, argv + 1, image);
  }
  // Installed under the name bwrap, it is bubblewrap's drop-in. The name is argv[0]'s, or the
  // executable's own (a hard link or copy named bwrap re-executed as /proc/self/exe, as
  // bubblewrap's users and tests do).
  if (argc > 0 && (IsNamedBwrap(argv[0]) || IsNamedBwrap(OwnExecutable().c_str()))) {
    return app::BwrapMain(argc, argv, image);
  }
  if (argc > 1) {
    if (const app::Subcommand* command = app::FindSubcommand(argv[1])) {
      return command->main(argc - 1, argv + 1, image);
    }
  }
  return app::RunJobCommand(argc, argv, image);
}

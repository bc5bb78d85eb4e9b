// sandbox: dispatch to a subcommand, or run a job. Everything else lives in src/*/.
#include <cstring>

#include "app/subcommands.h"
#include "launch/plan_builder.h"

int main(int argc, char** argv, char** envp) {
  using namespace sandbox;
  // Captured first, before anything can move environ: pid 1 wipes this memory.
  launch::ProcessImage image = launch::CaptureProcessImage(argc, argv, envp);
  // Installed under the name bwrap (a link), it is bubblewrap's drop-in.
  const char* base = argc > 0 ? std::strrchr(argv[0], '/') : nullptr;
  base = base != nullptr ? base + 1 : (argc > 0 ? argv[0] : "");
  if (std::strcmp(base, "bwrap") == 0) return app::BwrapMain(argc, argv, image);
  if (argc > 1) {
    if (const app::Subcommand* command = app::FindSubcommand(argv[1])) {
      return command->main(argc - 1, argv + 1, image);
    }
  }
  return app::RunJobCommand(argc, argv, image);
}

// bwrap mode: bubblewrap's command line through the sandbox's own Policy and launch path, with
// bubblewrap's words ("bwrap: ") and its exit status 1 for its own failures.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "app/subcommands.h"
#include "bwrap/args.h"

namespace sandbox::app {

int BwrapMain(int argc, char** argv, const launch::ProcessImage& image) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = bwrap::ParseArgs(argv[0], args, ::getuid(), ::getgid(), bwrap::ReadWholeFd);
  if (!parsed) {
    std::fprintf(stderr, "bwrap: %s\n", parsed.error().ToString().c_str());
    return 1;
  }
  for (const std::string& warning : parsed->warnings) {
    std::fprintf(stderr, "%sbwrap: %s\n", parsed->level_prefix ? "<4>" : "", warning.c_str());
  }
  if (parsed->exit_now) {
    std::fputs(parsed->text.c_str(), stdout);
    return *parsed->exit_now;
  }
  return RunWithOptions(parsed->options, image, RunStyle{"bwrap: ", 1});
}

}  // namespace sandbox::app

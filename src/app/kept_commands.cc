// `sandbox changes|diff|apply|discard NAME`: what a --keep-changes run left, read back from
// $XDG_STATE_HOME/sandbox/runs/NAME (workspace/kept.h).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "app/after_changes.h"
#include "app/subcommands.h"
#include "common/exit_status.h"
#include "common/unique_fd.h"
#include "workspace/apply.h"
#include "workspace/kept.h"
#include "workspace/patch.h"

namespace sandbox::app {
namespace {

struct Args {
  std::string name;
  std::vector<std::string> paths;
  bool include_protected = false;
  bool help = false;
};

int Usage(const char* command, const char* usage, const std::string& problem) {
  std::fprintf(stderr, "sandbox: %s: %s; usage: %s\n", command, problem.c_str(), usage);
  return kExitSandboxFailure;
}

// NAME [PATH...], and --include-protected where `protected_ok`.
bool Parse(int argc, char** argv, bool takes_paths, bool protected_ok, Args* out,
           std::string* problem) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      out->help = true;
    } else if (arg == "--include-protected" && protected_ok) {
      out->include_protected = true;
    } else if (!arg.empty() && arg[0] == '-' && arg != "--") {
      *problem = "unknown option " + arg;
      return false;
    } else if (out->name.empty()) {
      out->name = arg;
    } else if (takes_paths) {
      out->paths.push_back(arg);
    } else {
      *problem = "unexpected argument \"" + arg + "\"";
      return false;
    }
  }
  if (out->name.empty() && !out->help) {
    *problem = "name the kept run (sandbox ps --all lists them)";
    return false;
  }
  return true;
}

int Failed(const char* command, const Error& e) {
  std::fprintf(stderr, "sandbox: %s: %s\n", command, e.ToString().c_str());
  return kExitSandboxFailure;
}

UniqueFd OpenCheckout(const std::string& path) {
  return UniqueFd(::open(path.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

std::string Mode(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", mode & 07777);
  return text;
}

}  // namespace

int ChangesMain(int argc, char** argv, const launch::ProcessImage& /*image*/) {
  constexpr const char* kUsage = "sandbox changes NAME [PATH...]";
  Args args;
  std::string problem;
  if (!Parse(argc, argv, true, false, &args, &problem)) return Usage("changes", kUsage, problem);
  if (args.help) {
    std::printf("usage: %s\nLists the changes a --keep-changes run kept.\n", kUsage);
    return 0;
  }
  auto kept = workspace::LoadKept(workspace::KeptRunsDir(), args.name);
  if (!kept) return Failed("changes", kept.error());
  std::printf("# %s\n", kept->checkout.c_str());
  for (const workspace::Change& c : kept->changes) {
    if (!workspace::Selected(c.path, args.paths)) continue;
    std::string flags;
    for (const std::string& f : c.flags) flags += (flags.empty() ? " [" : ",") + f;
    if (!flags.empty()) flags += "]";
    std::printf("%-9s %-7s %s %10llu  %s%s%s\n", c.change.c_str(), c.type.c_str(),
                Mode(c.mode).c_str(), static_cast<unsigned long long>(c.size), c.path.c_str(),
                c.link.empty() ? "" : (" -> " + c.link).c_str(), flags.c_str());
  }
  return 0;
}

int DiffMain(int argc, char** argv, const launch::ProcessImage& /*image*/) {
  constexpr const char* kUsage = "sandbox diff NAME [PATH...]";
  Args args;
  std::string problem;
  if (!Parse(argc, argv, true, false, &args, &problem)) return Usage("diff", kUsage, problem);
  if (args.help) {
    std::printf("usage: %s\nA unified diff of the kept changes against the checkout.\n", kUsage);
    return 0;
  }
  auto kept = workspace::LoadKept(workspace::KeptRunsDir(), args.name);
  if (!kept) return Failed("diff", kept.error());
  UniqueFd checkout = OpenCheckout(kept->checkout);
  if (!checkout) return Failed("diff", MakeError("cannot open " + kept->checkout, errno));
  workspace::PatchRequest request;
  request.checkout = checkout.get();
  request.source = kept->files.get();
  request.paths = args.paths;
  request.binary_as_line = true;
  auto patch = workspace::MakePatch(kept->changes, request);
  if (!patch) return Failed("diff", patch.error());
  std::fputs(patch->c_str(), stdout);
  return 0;
}

int ApplyMain(int argc, char** argv, const launch::ProcessImage& /*image*/) {
  constexpr const char* kUsage = "sandbox apply NAME [--include-protected] [PATH...]";
  Args args;
  std::string problem;
  if (!Parse(argc, argv, true, true, &args, &problem)) return Usage("apply", kUsage, problem);
  if (args.help) {
    std::printf(
        "usage: %s\nWrites the kept changes (or those at or below PATH) into the checkout; "
        "refuses\nsensitive ones unless --include-protected, and everything on a conflict.\n",
        kUsage);
    return 0;
  }
  auto kept = workspace::LoadKept(workspace::KeptRunsDir(), args.name);
  if (!kept) return Failed("apply", kept.error());
  UniqueFd checkout = OpenCheckout(kept->checkout);
  if (!checkout) return Failed("apply", MakeError("cannot open " + kept->checkout, errno));
  workspace::ApplyRequest request;
  request.checkout = checkout.get();
  request.source = kept->files.get();
  request.paths = args.paths;
  request.include_protected = args.include_protected;
  auto result = workspace::Apply(kept->changes, request);
  if (!result) return Failed("apply", result.error());
  PrintApplyProblems(result->skipped, result->refused, result->conflicts);
  std::fprintf(stderr, "sandbox: applied %zu change%s to %s\n", result->applied.size(),
               result->applied.size() == 1 ? "" : "s", kept->checkout.c_str());
  return result->refused.empty() && result->conflicts.empty() ? 0 : 1;
}

int DiscardMain(int argc, char** argv, const launch::ProcessImage& /*image*/) {
  constexpr const char* kUsage = "sandbox discard NAME";
  Args args;
  std::string problem;
  if (!Parse(argc, argv, false, false, &args, &problem)) return Usage("discard", kUsage, problem);
  if (args.help) {
    std::printf("usage: %s\nDrops the changes a --keep-changes run kept.\n", kUsage);
    return 0;
  }
  if (auto r = workspace::DiscardKept(workspace::KeptRunsDir(), args.name); !r) {
    return Failed("discard", r.error());
  }
  return 0;
}

}  // namespace sandbox::app

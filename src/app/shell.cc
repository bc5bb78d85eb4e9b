// `sandbox shell [FLAGS]`: an interactive shell in the sandbox a job with the same flags would
// get. With a terminal on stdin it runs under --tty (a pty of the sandbox's own, relayed); with
// a pipe it reads commands from it. Without --profile the `base` profile is used.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "app/run_registry.h"
#include "app/shell_command.h"
#include "app/subcommands.h"
#include "common/exit_status.h"

namespace sandbox::app {
namespace {

constexpr const char* kUsage =
    "usage: sandbox shell [--profile P] [FLAGS]\n"
    "Opens an interactive shell ($SHELL if the sandbox has it, else bash, else sh) in the\n"
    "sandbox that `sandbox [--profile P] [FLAGS] -- COMMAND` would give COMMAND. Without\n"
    "--profile the `base` profile is used. With a terminal on stdin the shell gets a terminal\n"
    "of the sandbox's own (--tty); without one it reads commands from stdin. Exit the shell to\n"
    "end the sandbox. The prompt names the run (--name, or a generated name), which\n"
    "$SANDBOX_RUN holds too; the shell's history lives in the sandbox's /tmp and goes with it.\n";

// The value of --name NAME / --name=NAME, or "" when not given.
std::string FlagValue(int argc, char** argv, const char* name) {
  const size_t n = std::strlen(name);
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0 && i + 1 < argc) return argv[i + 1];
    if (std::strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') return argv[i] + n + 1;
  }
  return "";
}

bool HasFlag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return true;
    if (std::strncmp(argv[i], name, std::strlen(name)) == 0 && argv[i][std::strlen(name)] == '=')
      return true;
  }
  return false;
}

}  // namespace

int ShellMain(int argc, char** argv, const launch::ProcessImage& image) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (std::strcmp(argv[i], "--") == 0) {
      std::fprintf(stderr,
                   "sandbox: shell: takes no command; to run one, use "
                   "sandbox [FLAGS] -- COMMAND\n");
      return kExitSandboxFailure;
    }
  }
  bool terminal = ::isatty(STDIN_FILENO) == 1;
  std::vector<std::string> args = {"sandbox"};
  if (!HasFlag(argc, argv, "--profile") && !HasFlag(argc, argv, "-p")) {
    args.insert(args.end(), {"--profile", "base"});
  }
  // A prompt that says where the user is: the run's name, which `sandbox enter` and `stop`
  // take, so the name is chosen here rather than by the run. Debian's /etc/bash.bashrc (when
  // shown) builds its own PS1 but puts $debian_chroot in front of it. The user's flags come
  // after these, so their --setenv PS1 wins.
  std::string name = FlagValue(argc, argv, "--name");
  if (name.empty()) {
    name = GenerateRunName();
    args.insert(args.end(), {"--name", name});
  }
  args.insert(args.end(),
              {"--setenv", "SANDBOX_RUN", name, "--setenv", "PS1",
               "[sandbox " + name + "] \\w \\$ ", "--setenv", "debian_chroot", "sandbox " + name});
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  if (terminal && !HasFlag(argc, argv, "--tty")) args.emplace_back("--tty");
  if (terminal) {
    // Said once, so nobody looks for the history or a file in /tmp after the shell is gone.
    std::fprintf(stderr,
                 "sandbox: shell in run %s; its history and files outside the directories the "
                 "profile binds go when it exits\n",
                 name.c_str());
  }
  args.emplace_back("--");
  for (std::string& word : ShellCommand(terminal, std::getenv("SHELL")))
    args.push_back(std::move(word));
  std::vector<char*> run_argv;
  for (std::string& a : args) run_argv.push_back(a.data());
  run_argv.push_back(nullptr);
  return RunJobCommand(static_cast<int>(args.size()), run_argv.data(), image);
}

}  // namespace sandbox::app

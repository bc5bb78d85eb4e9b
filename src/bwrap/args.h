// bubblewrap's command line -> the same CliOptions the sandbox's own flags produce, with
// bubblewrap's defaults (inherited environment, the caller's ids, only the namespaces asked
// for). Options are taken in order, as bwrap takes them; mount operations keep their order.
#ifndef SANDBOX_BWRAP_ARGS_H_
#define SANDBOX_BWRAP_ARGS_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/options.h"
#include "common/result.h"

namespace sandbox::bwrap {

struct Parsed {
  cli::CliOptions options;
  std::optional<int> exit_now;  // --help / --version: print `text` and exit with this
  std::string text;
  bool text_to_stderr = false;        // the usage after a missing command
  std::vector<std::string> warnings;  // printed before the run, as bwrap prints them
  bool level_prefix = false;          // --level-prefix: "<4>" before warnings, as syslog levels
};

/// Reads a descriptor's whole content (--args, --file, --bind-data); injectable for tests.
using FdReader = std::function<Result<std::string>(int fd)>;

/// `program` is argv[0] (for --help); `args` excludes it. Errors are phrased as bwrap phrases them,
/// without the "bwrap: " prefix.
Result<Parsed> ParseArgs(const std::string& program, const std::vector<std::string>& args,
                         uid_t uid, gid_t gid, const FdReader& read_fd,
                         uint64_t effective_caps = 0);

/// True when `args` hold an option only bubblewrap has (--unshare-pid, --die-with-parent, ...):
/// the line was meant for bwrap mode, which the binary did not recognise from its name.
bool HasBubblewrapOnlyOption(const std::vector<std::string>& args);

/// Reads `fd` to its end; the descriptor stays open.
Result<std::string> ReadWholeFd(int fd);

}  // namespace sandbox::bwrap

#endif  // SANDBOX_BWRAP_ARGS_H_

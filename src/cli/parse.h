// Command-line parsing with CLI11. The only place CLI11 is included.
#ifndef SANDBOX_CLI_PARSE_H_
#define SANDBOX_CLI_PARSE_H_

#include <optional>
#include <string>

#include "cli/options.h"
#include "common/result.h"

namespace sandbox::cli {

struct ParseOutcome {
  CliOptions options;
  /// Set when parsing already answered the user (--help, --version): print `text` to
  /// stdout and exit with this status instead of running anything.
  std::optional<int> exit_now;
  std::string text;
  bool help = false;  // `text` is the --help text (the caller may append its subcommands)
};

/// Parses argv. Usage errors come back as an Error whose hint points at --help; never throws.
Result<ParseOutcome> Parse(int argc, const char* const* argv);

}  // namespace sandbox::cli

#endif  // SANDBOX_CLI_PARSE_H_

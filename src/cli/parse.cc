#include "cli/parse.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>
#include <tuple>
#include <utility>

#include "common/units.h"

#ifndef SANDBOX_VERSION
#define SANDBOX_VERSION "0.0.0"
#endif

namespace sandbox::cli {
namespace {

constexpr const char* kDescription =
    "Run COMMAND in a fresh rootless sandbox: new user, mount, pid, ipc, uts, cgroup and\n"
    "network namespaces; nothing of the host is visible unless a flag binds it.\n"
    "Filesystem flags apply in command-line order.";

// State shared by the option callbacks while CLI11 walks argv in order: --size and --perms
// modify the next --tmpfs/--dir, as in bubblewrap.
struct PendingModifiers {
  std::optional<uint64_t> size;
  std::optional<unsigned> mode;
  std::optional<Error> error;  // the first conversion error; CLI11 callbacks cannot return one
};

// The flags this command line can name. Building a CLI11 option costs, and CLI11 checks each
// new one against all before it (quadratic): with every flag registered that was most of the
// supervisor's instructions before clone (docs/performance.md). A flag is registered only if a
// token of argv names it; any token counts, wherever it stands (a value, the command), so a
// flag that is used is never missing: extra ones only cost time. Help, and short flags run
// together (-vp ci), register everything.
class FlagFilter {
 public:
  FlagFilter(int argc, const char* const* argv) {
    for (int i = 1; i < argc && !all_; ++i) {
      std::string_view token = argv[i];
      if (token.size() < 2 || token[0] != '-') continue;
      if (token[1] != '-') {
        if (token.size() > 2) all_ = true;  // -vp ci, -pci
        seen_.push_back(token);
        if (token == "-h") all_ = true;
        continue;
      }
      token = token.substr(0, token.find('='));
      if (token == "--help" || token == "--help-all") all_ = true;
      seen_.push_back(token);
    }
  }
  // `names` as CLI11 takes them: "-p,--profile".
  bool operator()(std::string_view names) const {
    if (all_) return true;
    while (!names.empty()) {
      size_t comma = names.find(',');
      std::string_view name = names.substr(0, comma);
      if (std::find(seen_.begin(), seen_.end(), name) != seen_.end()) return true;
      if (comma == std::string_view::npos) break;
      names.remove_prefix(comma + 1);
    }
    return false;
  }

 private:
  bool all_ = false;
  std::vector<std::string_view> seen_;
};

std::string JoinFlag(const std::string& name, const std::vector<std::string>& values) {
  std::string text = name;
  for (const auto& v : values) text += " " + v;
  return text;
}

// CLI11 takes the first value of an option whatever it looks like, but stops at a further one
// that starts with '-'. One item of `count` strings makes it take them all, so
// `--setenv LDFLAGS -s` works as in bubblewrap (which never looks at its values).
CLI::Option* TakeLiteralValues(CLI::Option* opt, int count) {
  return opt->type_size(count)->expected(1);
}

// The number of argv entries `name` consumes as values (0 for a flag or an unknown name).
int ValueCount(const CLI::App& app, const char* arg) {
  if (arg[0] != '-' || std::strchr(arg, '=') != nullptr) return 0;
  const CLI::Option* opt = app.get_option_no_throw(arg);
  if (opt == nullptr) return 0;
  return std::min(opt->get_type_size_min(), opt->get_items_expected_min());
}

// A repeatable option whose callback runs for each occurrence as it is parsed, so the
// occurrences keep their command-line order among the other ordered flags.
CLI::Option* EachInOrder(CLI::Option* opt, const char* type) {
  return opt->trigger_on_parse()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->type_name(type);
}

// An option whose value goes through `parse` into `*slot`; a bad one is kept as the first error
// (CLI11 callbacks cannot return one) and leaves `*slot` alone.
template <typename T, typename Slot>
CLI::Option* AddParsed(CLI::App& app, const char* name, Result<T> (*parse)(std::string_view),
                       Slot* slot, PendingModifiers& pending, const char* help) {
  return app.add_option_function<std::string>(
      name,
      [parse, slot, &pending](const std::string& v) {
        Result<T> value = parse(v);
        if (value) {
          *slot = *value;
        } else if (!pending.error) {
          pending.error = value.error();
        }
      },
      help);
}

void AddMountFlag(const FlagFilter& want, CLI::App& app, CliOptions& out, PendingModifiers& pending,
                  const char* name, MountKind kind, int arity, bool optional, const char* help,
                  bool socket = false) {
  if (!want(name)) return;
  const std::string flag = name;
  auto* opt = app.add_option_function<std::vector<std::string>>(
      flag,
      [&out, &pending, flag, kind, arity, optional,
       socket](const std::vector<std::string>& values) {
        if (values.size() != static_cast<size_t>(arity)) {
          // CLI11 runs a trigger-on-parse callback before it checks the argument count.
          if (!pending.error) {
            Error e = MakeError(flag + " needs " + (arity == 2 ? "SRC DST" : "DST"));
            e.hint = "see sandbox --help";
            pending.error = e;
          }
          return;
        }
        MountRequest request;
        request.kind = kind;
        request.optional = optional;
        request.socket = socket;
        request.flag = JoinFlag(flag, values);
        if (arity == 2) {
          request.source = values[0];
          request.target = values[1];
        } else {
          request.target = values[0];
        }
        if (kind == MountKind::kTmpfs) {
          request.size_bytes = std::exchange(pending.size, std::nullopt);
        }
        if (kind == MountKind::kTmpfs || kind == MountKind::kDir) {
          request.mode = std::exchange(pending.mode, std::nullopt);
        }
        out.mounts.push_back(std::move(request));
      },
      help);
  TakeLiteralValues(opt, arity)->trigger_on_parse();
  opt->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  opt->type_name(arity == 2 ? "SRC DST" : "DST");
}

void AddEnvFlags(const FlagFilter& want, CLI::App& app, CliOptions& out) {
  if (want("--setenv")) {
    app.add_option_function<std::vector<std::string>>(
           "--setenv",
           [&out](const std::vector<std::string>& v) {
             if (v.size() != 2) return;  // CLI11 reports the missing value
             out.env.push_back({EnvRequest::Op::kSet, v[0], v[1]});
           },
           "Set VAR to VALUE in the job's environment")
        ->type_size(2)
        ->expected(1)
        ->trigger_on_parse()
        ->type_name("VAR VALUE");
  }
  if (want("--unsetenv")) {
    EachInOrder(app.add_option_function<std::string>(
                    "--unsetenv",
                    [&out](const std::string& v) {
                      out.env.push_back({EnvRequest::Op::kUnset, v, ""});
                    },
                    "Remove VAR from the job's environment"),
                "VAR");
  }
  if (want("--clearenv")) {
    app.add_flag_callback(
           "--clearenv",
           [&out] {
             out.env.push_back({EnvRequest::Op::kClear, "", ""});
           },
           "Start the job's environment empty (later --setenv still apply)")
        ->trigger_on_parse();
  }
  if (want("--pass-env")) {
    EachInOrder(
        app.add_option_function<std::string>(
            "--pass-env",
            [&out](const std::string& v) {
              out.env.push_back({EnvRequest::Op::kPass, v, ""});
            },
            "Let the caller's variable NAME in (or every one PATTERN matches, with * and ?; "
            "the profile's [env] deny still keeps secret-looking names out of a pattern)"),
        "NAME|PATTERN");
  }
  if (want("--keep-env")) {
    app.add_flag("--keep-env", out.keep_env,
                 "Inherit the caller's whole environment instead of the clean default");
  }
}

void AddProcessFlags(const FlagFilter& want, CLI::App& app, CliOptions& out,
                     PendingModifiers& pending) {
  // Each applies to the next --tmpfs or --dir.
  if (want("--size")) {
    EachInOrder(AddParsed(app, "--size", &ParseSize, &pending.size, pending,
                          "Size of the next --tmpfs (bytes, or with K/M/G suffix)"),
                "BYTES");
  }
  if (want("--perms")) {
    EachInOrder(AddParsed(app, "--perms", &ParseMode, &pending.mode, pending,
                          "Octal permissions of the next --tmpfs or --dir"),
                "OCTAL");
  }
  if (want("-p,--profile")) {
    EachInOrder(app.add_option_function<std::string>(
                    "-p,--profile", [&out](const std::string& v) { out.profiles.push_back(v); },
                    "Profile (name or path) the sandbox is built from; other flags apply after it. "
                    "Repeat it to compose profiles left to right: --profile ci --profile node"),
                "PROFILE");
  }
  if (want("--hostname"))
    app.add_option("--hostname", out.hostname, "Hostname inside (default: sandbox)");
  if (want("--uid")) app.add_option("--uid", out.uid, "User id inside (default: 0)");
  if (want("--gid")) app.add_option("--gid", out.gid, "Group id inside (default: 0)");
  if (want("--share-net"))
    app.add_flag("--share-net", out.share_net, "Keep the host's network instead of lo only");
  for (auto [flag, list, help, type] :
       {std::tuple{"--allow-host", &out.allow_hosts,
                   "Let the job reach HOST (a name, *.domain for its subdomains, or an address) on "
                   "PORT (default: 443 and 80), through the sandbox's proxy; nothing else leaves",
                   "HOST[:PORT]"},
        std::tuple{"--resolve", &out.resolve_pins,
                   "Reach HOST at ADDR (the host side's lookup, as curl's --resolve)",
                   "HOST:ADDR"}}) {
    std::string name = flag;
    if (!want(name)) continue;
    std::vector<CliOptions::NetworkEntry>* into = list;  // clang 14 cannot capture a binding
    app.add_option_function<std::vector<std::string>>(
           name,
           [into, name](const std::vector<std::string>& values) {
             for (const std::string& v : values) into->push_back({v, name + " " + v, {}});
           },
           help)
        ->type_name(type)
        ->trigger_on_parse()
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  if (want("--network")) {
    app.add_option("--network", out.network,
                   "none (default: lo only, or the --allow-host list) or log (every destination "
                   "allowed and recorded, to learn an allow-list)")
        ->check(CLI::IsMember({"none", "log"}))
        ->type_name("MODE");
  }
  if (want("--host-proc")) {
    app.add_flag_callback(
        "--host-proc", [&out] { out.host_proc = true; },
        "Proc mounts bind this /proc read-only instead of a fresh one (containers whose /proc is "
        "masked)");
  }
  if (want("--chdir")) app.add_option("--chdir", out.chdir, "Working directory of the job inside");
  if (want("--pass-fd")) {
    app.add_option("--pass-fd", out.pass_fds, "Keep descriptor FD open in the job")
        ->type_name("FD")
        ->check(CLI::NonNegativeNumber);
  }
  if (want("--timeout")) {
    AddParsed(app, "--timeout", &ParseDuration, &out.timeout, pending,
              "Stop the job after DURATION (SIGTERM, then SIGKILL after the grace period)")
        ->type_name("DURATION");
  }
  if (want("--timeout-grace")) {
    AddParsed(app, "--timeout-grace", &ParseDuration, &out.timeout_grace, pending,
              "Time between SIGTERM and SIGKILL on timeout (default: 5s)")
        ->type_name("DURATION");
  }
  if (want("--limit")) {
    app.add_option_function<std::vector<std::string>>(
           "--limit",
           [&out, &pending](const std::vector<std::string>& values) {
             for (const std::string& v : values) {
               size_t eq = v.find('=');
               if (eq == std::string::npos || eq == 0) {
                 if (!pending.error) {
                   Error e = MakeError("--limit " + v + ": expected NAME=VALUE");
                   e.hint = "e.g. --limit nproc=64";
                   pending.error = e;
                 }
                 continue;
               }
               out.limits.push_back({v.substr(0, eq), v.substr(eq + 1), "--limit " + v});
             }
           },
           "Resource limit for the job: nofile, nproc, fsize, cpu, core, stack or as")
        ->type_name("NAME=VALUE")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  if (want("--isolation")) {
    app.add_option_function<std::string>(
           "--isolation",
           [&out](const std::string& v) {
             out.isolation = v;
             out.isolation_origin = "--isolation " + v;
           },
           "namespaces (default), landlock (no namespaces: for hosts and containers that refuse "
           "user namespaces; docs/ci.md says what it lacks) or auto (landlock only where user "
           "namespaces are refused)")
        ->check(CLI::IsMember({"namespaces", "landlock", "auto"}))
        ->type_name("MODE");
  }
  if (want("--landlock")) {
    app.add_option("--landlock", out.landlock,
                   "Landlock fence: auto (default: on when the kernel has it), on (required), off")
        ->check(CLI::IsMember({"auto", "on", "off"}))
        ->type_name("MODE");
  }
  if (want("--seccomp-policy")) {
    app.add_option("--seccomp-policy", out.seccomp_policy,
                   "Seccomp filter: default (the built-in deny list, docs/seccomp.md) or none")
        ->check(CLI::IsMember({"default", "none"}))
        ->type_name("POLICY");
  }
  if (want("--seccomp-action")) {
    app.add_option("--seccomp-action", out.seccomp_action,
                   "What a denied call gets: errno (default), kill or log (allowed, reported)")
        ->check(CLI::IsMember({"errno", "kill", "log"}))
        ->type_name("ACTION");
  }
  if (want("-v,--verbose"))
    app.add_flag("-v,--verbose", out.verbose, "Print each setup step with its duration");
  if (want("--name")) {
    app.add_option("--name", out.name,
                   "Name the run for sandbox ps, enter and stop (default: a generated id)")
        ->type_name("NAME");
  }
  if (want("--tty")) {
    app.add_flag("--tty", out.tty,
                 "Give the job a terminal of its own, relayed to this one (needs a --dev mount)");
  }
}

void AddWorkspaceFlags(const FlagFilter& want, CLI::App& app, CliOptions& out,
                       PendingModifiers& pending) {
  if (want("--workspace")) {
    app.add_option_function<std::vector<std::string>>(
           "--workspace",
           [&out](const std::vector<std::string>& values) {
             // The modes are words; a directory named like one is written ./bind. Given twice
             // (--workspace overlay --workspace DIR), a mode and a directory combine.
             for (const std::string& v : values) {
               if (v == "bind" || v == "none" || v == "overlay") {
                 out.workspace.mode = v;
                 out.workspace.mode_origin = "--workspace " + v;
                 continue;
               }
               out.workspace.dir = v;
               if (!out.workspace.mode || *out.workspace.mode == "none") {
                 out.workspace.mode = "bind";
                 out.workspace.mode_origin = "--workspace " + v;
               }
             }
           },
           "The project: DIR (bound read-write, VCS metadata read-only), or bind, overlay "
           "(writes kept apart, listed after the run) or none; a mode and DIR combine")
        ->type_name("DIR|MODE")
        ->allow_extra_args(false)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  if (want("--changes")) {
    app.add_option_function<std::string>(
           "--changes",
           [&out, &pending](const std::string& v) {
             if (v == "fail" || v == "apply" || (v.rfind("patch=", 0) == 0 && v.size() > 6)) {
               out.workspace.changes = v;
             } else if (!pending.error) {
               Error e = MakeError("--changes " + v + ": not fail, apply or patch=FILE");
               e.hint =
                   "--changes fail (exit 123 when the job changed the checkout), "
                   "--changes apply or --changes patch=FILE (with --workspace overlay)";
               pending.error = e;
             }
           },
           "With --workspace overlay, after the job: fail (exit 123 if it changed the checkout), "
           "apply (after a successful job) or patch=FILE")
        ->type_name("fail|apply|patch=FILE");
  }
  if (want("--include-protected")) {
    app.add_flag("--include-protected", out.workspace.include_protected,
                 "--changes apply: also apply sensitive changes (VCS metadata, protected paths, "
                 "new executables, symlinks out, hard links)");
  }
  if (want("--keep-changes")) {
    app.add_flag("--keep-changes", out.workspace.keep_changes,
                 "With --workspace overlay: keep the changes for sandbox changes, diff, apply and "
                 "discard NAME");
  }
  if (want("--workspace-vcs")) {
    app.add_option("--workspace-vcs", out.workspace.vcs,
                   "VCS metadata (.git, .hg, .svn) inside the workspace: ro (default) or rw")
        ->check(CLI::IsMember({"ro", "rw"}))
        ->type_name("ro|rw");
  }
  if (want("--protect")) {
    app.add_option("--protect", out.workspace.protect,
                   "Keep PATH of the workspace read-only too (relative to its top level)")
        ->type_name("PATH")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  if (want("--unprotect")) {
    app.add_option("--unprotect", out.workspace.unprotect,
                   "Leave PATH of the default protected list writable")
        ->type_name("PATH")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
  if (want("--cache")) {
    app.add_option_function<std::vector<std::string>>(
           "--cache",
           [&out, &pending](const std::vector<std::string>& values) {
             for (const std::string& v : values) {
               size_t eq = v.find('=');
               std::string share = eq == std::string::npos ? "" : v.substr(eq + 1);
               if (eq == 0 || (share != "sandbox" && share != "host" && share != "run")) {
                 if (!pending.error) {
                   Error e = MakeError("--cache " + v + ": expected NAME=sandbox|host|run");
                   e.hint = "e.g. --cache ccache=host shares the host's own ccache read-write";
                   pending.error = e;
                 }
                 continue;
               }
               out.cache_shares.emplace_back(v.substr(0, eq), share);
             }
           },
           "How the profile's cache NAME is kept: sandbox (default), host (read-write) or run")
        ->type_name("NAME=SHARE")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  }
}

void AddReportFlags(const FlagFilter& want, CLI::App& app, CliOptions& out) {
  if (want("--report")) {
    app.add_option("--report", out.report_path,
                   "Write a JSON report of the run to FILE (see docs/report.md)")
        ->type_name("FILE");
  }
  if (want("--report-fd")) {
    app.add_option("--report-fd", out.report_fd, "Write the JSON report to descriptor FD")
        ->type_name("FD")
        ->check(CLI::NonNegativeNumber);
  }
}

}  // namespace

Result<ParseOutcome> Parse(int argc, const char* const* argv) {
  ParseOutcome outcome;
  CliOptions& out = outcome.options;

  CLI::App app(kDescription, "sandbox");
  app.set_version_flag("--version", std::string("sandbox ") + SANDBOX_VERSION);
  app.prefix_command(true);  // without "--", the first non-flag starts the command
  app.get_formatter()->column_width(34);

  PendingModifiers pending;
  const FlagFilter want(argc, argv);
  using K = MountKind;
  AddMountFlag(want, app, out, pending, "--bind", K::kBind, 2, false, "Bind SRC read-write at DST");
  AddMountFlag(want, app, out, pending, "--bind-try", K::kBind, 2, true,
               "--bind, skipped if SRC is missing");
  AddMountFlag(want, app, out, pending, "--ro-bind", K::kReadOnlyBind, 2, false,
               "Bind SRC read-only (submounts too) at DST");
  AddMountFlag(want, app, out, pending, "--ro-bind-try", K::kReadOnlyBind, 2, true,
               "--ro-bind, skipped if SRC is missing");
  AddMountFlag(want, app, out, pending, "--bind-socket", K::kReadOnlyBind, 2, false,
               "Bind the unix socket SRC at DST; the job may connect to it (no other socket "
               "on a read-only mount)",
               true);
  AddMountFlag(want, app, out, pending, "--dev-bind", K::kDevBind, 2, false,
               "Bind SRC at DST with device access");
  AddMountFlag(want, app, out, pending, "--dev-bind-try", K::kDevBind, 2, true,
               "--dev-bind, skipped if SRC is missing");
  AddMountFlag(want, app, out, pending, "--tmpfs", K::kTmpfs, 1, false,
               "Mount a fresh tmpfs at DST");
  AddMountFlag(want, app, out, pending, "--proc", K::kProc, 1, false, "Mount a fresh proc at DST");
  AddMountFlag(want, app, out, pending, "--dev", K::kDev, 1, false, "Mount a minimal /dev at DST");
  AddMountFlag(want, app, out, pending, "--dir", K::kDir, 1, false, "Create directory DST");
  AddMountFlag(want, app, out, pending, "--remount-ro", K::kRemountReadOnly, 1, false,
               "Make the mount at DST read-only, recursively");
  if (want("--symlink")) {
    // --symlink TARGET LINK: the link's text first, as in ln -s and bubblewrap.
    auto* opt = app.add_option_function<std::vector<std::string>>(
        "--symlink",
        [&out, &pending](const std::vector<std::string>& v) {
          if (v.size() != 2) {
            if (!pending.error) pending.error = MakeError("--symlink needs TARGET LINK");
            return;
          }
          MountRequest request;
          request.kind = K::kSymlink;
          request.source = v[0];
          request.target = v[1];
          request.flag = JoinFlag("--symlink", v);
          out.mounts.push_back(std::move(request));
        },
        "Create symlink LINK pointing to TARGET");
    TakeLiteralValues(opt, 2)->trigger_on_parse();
    opt->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    opt->type_name("TARGET LINK");
  }
  AddEnvFlags(want, app, out);
  AddProcessFlags(want, app, out, pending);
  AddWorkspaceFlags(want, app, out, pending);
  AddReportFlags(want, app, out);

  // Everything after the first "--" is the command, untouched by CLI11. A "--" that is the
  // value of a flag (`--setenv SEP --`) is not that one: values are taken literally.
  int flag_end = argc;
  bool in_command = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      flag_end = i;
      break;
    }
    if (in_command) continue;
    if (argv[i][0] != '-') {
      in_command = true;  // prefix_command: the first positional starts the command
      continue;
    }
    i += ValueCount(app, argv[i]);
  }

  try {
    app.parse(flag_end, argv);
  } catch (const CLI::CallForHelp&) {
    outcome.exit_now = 0;
    outcome.help = true;
    outcome.text = app.help();
    return outcome;
  } catch (const CLI::CallForAllHelp&) {
    outcome.exit_now = 0;
    outcome.help = true;
    outcome.text = app.help("", CLI::AppFormatMode::All);
    return outcome;
  } catch (const CLI::CallForVersion&) {
    outcome.exit_now = 0;
    outcome.text = std::string("sandbox ") + SANDBOX_VERSION + "\n";
    return outcome;
  } catch (const CLI::ParseError& e) {
    Error error = MakeError(e.what());
    error.hint = "see sandbox --help";
    return error;
  }
  if (pending.error) return *pending.error;
  if (pending.size || pending.mode) {
    Error error = MakeError(pending.size ? "--size given without a following --tmpfs"
                                         : "--perms given without a following --tmpfs or --dir");
    error.hint = "put it just before the flag it modifies";
    return error;
  }

  // If a positional started the command before any "--", that "--" belongs to the command.
  out.command = app.remaining();
  if (!out.command.empty() && out.command[0].size() > 1 && out.command[0][0] == '-') {
    // prefix_command() hands unknown flags to the command; a typo must not run as one.
    Error error = MakeError("unknown flag " + out.command[0]);
    error.hint = "see sandbox --help; put the command after --";
    return error;
  }
  if (!out.command.empty() && flag_end < argc) out.command.emplace_back("--");
  for (int i = flag_end + 1; i < argc; ++i) out.command.emplace_back(argv[i]);
  return outcome;
}

}  // namespace sandbox::cli

// One profile file: TOML text -> ProfileSpec. The only translation unit that parses TOML;
// toml++ exceptions stop here.
#include "profile/parse.h"

// toml++'s internal assertions are off in every build: some fire on malformed input that its
// parser goes on to report as an ordinary error (ProfileParseTest.GarbageNeverThrows, the fuzz
// corpus). Without NDEBUG while its header is read, toml++ also does not turn them into
// optimiser assumptions (__builtin_assume under clang), which such input would break.
#pragma push_macro("NDEBUG")
#undef NDEBUG
#define TOML_ASSERT(expr) static_cast<void>(0)
#include <toml++/toml.h>
#pragma pop_macro("NDEBUG")

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <exception>
#include <limits>
#include <span>
#include <sstream>

#include "common/units.h"
#include "profile/expand.h"
#include "profile/suggest.h"

namespace sandbox::profile {
namespace {

using Words = std::span<const std::string_view>;

constexpr std::array<std::string_view, 9> kTopKeys = {
    "extends", "sandbox", "env", "mount", "limits", "seccomp", "workspace", "cache", "network"};
constexpr std::array<std::string_view, 2> kNetworkKeys = {"allow", "resolve"};
constexpr std::array<std::string_view, 4> kWorkspaceKeys = {"mode", "vcs", "protect", "unprotect"};
constexpr std::array<std::string_view, 4> kCacheKeys = {"name", "target", "host", "share"};
constexpr std::array<std::string_view, 4> kSeccompKeys = {"policy", "action", "deny", "allow"};
constexpr std::array<std::string_view, 14> kLimitKeys = {
    "timeout", "timeout_grace", "nofile", "nproc", "fsize", "cpu",        "core", "stack",
    "as",      "memory",        "pids",   "cpus",  "tmpfs", "tmpfs_total"};
constexpr std::array<std::string_view, 8> kSandboxKeys = {
    "hostname", "network", "cwd", "uid", "gid", "landlock", "proc", "isolation"};
constexpr std::array<std::string_view, 5> kEnvKeys = {"clear", "pass", "deny", "set", "unset"};
constexpr std::array<std::string_view, 7> kMountKeys = {"type", "source", "target", "optional",
                                                        "size", "mode",   "content"};
// "socket" is a read-only bind of one unix socket the job may connect to (MountSpec::socket).
constexpr std::array<std::string_view, 11> kMountTypes = {"ro-bind", "bind", "dev-bind", "tmpfs",
                                                          "proc",    "dev",  "dir",      "symlink",
                                                          "file",    "mask", "socket"};
constexpr std::array<MountKind, 11> kMountKinds = {
    MountKind::kReadOnlyBind, MountKind::kBind, MountKind::kDevBind,     MountKind::kTmpfs,
    MountKind::kProc,         MountKind::kDev,  MountKind::kDir,         MountKind::kSymlink,
    MountKind::kFile,         MountKind::kMask, MountKind::kReadOnlyBind};

// The table each key belongs in, for "hostname belongs in [sandbox]" hints.
struct Section {
  const char* title;  // "" for the top level
  const char* belongs;
  Words keys;
};
constexpr std::array<Section, 9> kSections = {
    {{"", "belongs at the top level, before any [table]", kTopKeys},
     {"[workspace]", "belongs in [workspace]", kWorkspaceKeys},
     {"[[cache]]", "belongs in a [[cache]] entry", kCacheKeys},
     {"[sandbox]", "belongs in [sandbox]", kSandboxKeys},
     {"[env]", "belongs in [env]", kEnvKeys},
     {"[[mount]]", "belongs in a [[mount]] entry", kMountKeys},
     {"[limits]", "belongs in [limits]", kLimitKeys},
     {"[seccomp]", "belongs in [seccomp]", kSeccompKeys},
     {"[network]", "belongs in [network]", kNetworkKeys}}};

// "a string", "an integer", ... for "must be X, not Y" messages.
const char* TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

bool IsAbsolute(const std::string& path) { return !path.empty() && path[0] == '/'; }

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// The lines of `text`, without their "\n" or "\r\n".
std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.emplace_back(line);
    start = end + 1;
  }
  return lines;
}

// toml++ says "Error while parsing key-value pair: expected ..."; we say "syntax error while
// parsing key-value pair: expected ...", in the lower case of our other messages.
std::string SyntaxMessage(std::string_view description) {
  constexpr std::string_view kPrefix = "Error while parsing ";
  if (description.starts_with(kPrefix)) {
    return "syntax error while parsing " + std::string(description.substr(kPrefix.size()));
  }
  std::string rest(description);
  if (!rest.empty()) {
    rest[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(rest[0])));
  }
  return "syntax error: " + rest;
}

// toml++ 3.3.0 (Debian 12) reaches TOML_UNREACHABLE, undefined behaviour, when its
// whitespace test sees a non-ASCII code point in U+00A1..U+FEFF: anywhere outside strings and
// comments, and in a multi-line basic string right after a backslash or after the whitespace
// a line-ending backslash skips (marzer/tomlplusplus#190, #295, fixed upstream in 2026). The
// first is never valid TOML; the second only in an escape no profile needs. This scan finds
// either before toml++ runs; it returns the byte offset (and whether it is in a string), or
// npos.
size_t FindNonAsciiHazard(std::string_view t, bool* in_string) {
  enum class In { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  auto non_ascii = [&](size_t i) {
    return i < t.size() && static_cast<unsigned char>(t[i]) >= 0x80;
  };
  // Length of the run of `q` at i; a multi-line string's closing run may be 3 to 5 long.
  auto run = [&](size_t i, char q) {
    size_t n = 0;
    while (i + n < t.size() && t[i + n] == q) ++n;
    return n;
  };
  // A quote starts a string only where a key or a value may start; inside another token
  // (+'..., 1"...) toml++ reads it as part of that token, through to the next delimiter.
  auto opens_string = [](char before) {
    return before == ' ' || before == '\t' || before == '\n' || before == '\r' || before == '=' ||
           before == '[' || before == '{' || before == ',' || before == '.';
  };
  In in = In::kCode;
  const size_t start = t.starts_with("\xEF\xBB\xBF") ? 3 : 0;  // a byte order mark is fine
  for (size_t i = start; i < t.size(); ++i) {
    const char c = t[i];
    const char previous = i > start ? t[i - 1] : '\n';
    switch (in) {
      case In::kCode:
        if (non_ascii(i)) return i;
        if (c == '#') {
          in = In::kComment;
        } else if ((c == '"' || c == '\'') && opens_string(previous)) {
          const bool multi = run(i, c) >= 3;
          in = c == '"' ? (multi ? In::kMultiBasic : In::kBasic)
                        : (multi ? In::kMultiLiteral : In::kLiteral);
          if (multi) i += 2;
        }
        break;
      case In::kComment:
        if (c == '\n') in = In::kCode;
        break;
      case In::kBasic:
        if (c == '\\') {
          ++i;  // the escaped character, whatever it is
        } else if (c == '"' || c == '\n') {
          in = In::kCode;
        }
        break;
      case In::kLiteral:
        if (c == '\'' || c == '\n') in = In::kCode;
        break;
      case In::kMultiBasic:
      case In::kMultiLiteral: {
        const char quote = in == In::kMultiBasic ? '"' : '\'';
        if (c == quote && run(i, quote) >= 3) {
          i += std::min<size_t>(run(i, quote), 5) - 1;
          in = In::kCode;
        } else if (in == In::kMultiBasic && c == '\\') {
          auto blank = [&](size_t k) {
            return k < t.size() && (t[k] == ' ' || t[k] == '\t' || t[k] == '\r' || t[k] == '\n');
          };
          // toml++ tests the character after the backslash and, after a line-ending
          // backslash, the first one past the whitespace it skips.
          size_t j = i + 1;
          while (blank(j)) ++j;
          if (non_ascii(j)) {
            *in_string = true;
            return j;
          }
          i = blank(i + 1) ? j - 1 : j;  // past an escaped character: \" must not end it
        }
        break;
      }
    }
  }
  return std::string_view::npos;
}

// 1-based line and column (in code points, as toml++ counts) of byte `offset`.
std::pair<int, int> LineAndColumn(std::string_view text, size_t offset) {
  int line = 1;
  int column = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++column;
    }
  }
  return {line, column};
}

// A table's entries in the order they were written: toml++ keeps tables sorted by key.
std::vector<std::pair<const toml::key*, const toml::node*>> InFileOrder(const toml::table& t) {
  std::vector<std::pair<const toml::key*, const toml::node*>> entries;
  for (auto&& [key, node] : t) entries.emplace_back(&key, &node);
  std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    const auto& pa = a.first->source().begin;
    const auto& pb = b.first->source().begin;
    return pa.line != pb.line ? pa.line < pb.line : pa.column < pb.column;
  });
  return entries;
}

// Parses one file, collecting errors instead of stopping at the first.
class FileParser {
 public:
  FileParser(std::string_view text, std::string_view file, const HostContext& host)
      : text_(text), file_(file), host_(host), lines_(SplitLines(text)) {
    size_t slash = file_.rfind('/');
    if (slash == std::string::npos) {
      profile_dir_ = host_.cwd;
    } else {
      profile_dir_ = slash == 0 ? "/" : file_.substr(0, slash);
    }
  }

  ParseResult Run() {
    result_.spec.name = file_;
    result_.spec.path = file_;
    result_.spec.chain = {file_};
    bool in_string = false;
    if (size_t hazard = FindNonAsciiHazard(text_, &in_string); hazard != std::string_view::npos) {
      auto [line, column] = LineAndColumn(text_, hazard);
      if (in_string) {
        AddError(SourceLocation{file_, line, column},
                 "syntax error: non-ASCII character after a backslash in a multi-line string",
                 "write it as a \\uXXXX escape");
      } else {
        AddError(SourceLocation{file_, line, column},
                 "syntax error: non-ASCII character outside a string",
                 "only strings and comments may hold non-ASCII text");
      }
      return std::move(result_);
    }
    toml::table root;
    try {
      root = toml::parse(text_, std::string_view(file_));
    } catch (const toml::parse_error& e) {
      AddError(At(e.source()), SyntaxMessage(e.description()));
      return std::move(result_);
    }
    for (auto [key, node] : InFileOrder(root)) {
      const std::string_view k = key->str();
      if (k == "extends") {
        result_.spec.extends = String(*node, *key, false);
        if (result_.spec.extends && result_.spec.extends->value.empty()) {
          AddError(result_.spec.extends->where, "\"extends\" is empty",
                   "name a profile, e.g. extends = \"base\", or remove the line");
          result_.spec.extends.reset();
        }
      } else if (k == "sandbox") {
        if (const auto* t = Table(*node, *key)) ParseSandbox(*t);
      } else if (k == "env") {
        if (const auto* t = Table(*node, *key)) ParseEnv(*t);
      } else if (k == "mount") {
        ForEachTable(*node, k, "mount", [this](const toml::table& t) { ParseMount(t); });
      } else if (k == "limits") {
        if (const auto* t = Table(*node, *key)) ParseLimits(*t);
      } else if (k == "seccomp") {
        if (const auto* t = Table(*node, *key)) ParseSeccomp(*t);
      } else if (k == "workspace") {
        if (const auto* t = Table(*node, *key)) ParseWorkspace(*t);
      } else if (k == "cache") {
        ForEachTable(*node, k, "cache", [this](const toml::table& t) { ParseCache(t); });
      } else if (k == "network") {
        if (const auto* t = Table(*node, *key)) ParseNetwork(*t);
      } else {
        Unknown(*key, "", kTopKeys);
      }
    }
    std::stable_sort(result_.errors.begin(), result_.errors.end(),
                     [](const Error& a, const Error& b) {
                       // Every parse error has a location; value_or keeps g++ -O2 from
                       // warning that it might not.
                       SourceLocation none;
                       const SourceLocation& x = a.where ? *a.where : none;
                       const SourceLocation& y = b.where ? *b.where : none;
                       return x.line != y.line ? x.line < y.line : x.column < y.column;
                     });
    return std::move(result_);
  }

 private:
  SourceLocation At(const toml::source_region& region) const {
    return SourceLocation{file_, static_cast<int>(region.begin.line),
                          static_cast<int>(region.begin.column)};
  }

  void AddError(SourceLocation where, std::string message, std::string hint = "") {
    Error e = MakeError(std::move(message));
    e.hint = std::move(hint);
    if (where.line > 0 && static_cast<size_t>(where.line) <= lines_.size()) {
      e.excerpt = lines_[static_cast<size_t>(where.line) - 1];
    }
    e.where = std::move(where);
    result_.errors.push_back(std::move(e));
  }

  // `title` is "" for the top level.
  void Unknown(const toml::key& key, std::string_view title, Words valid) {
    const std::string_view k = key.str();
    std::string message = "unknown key " + Quoted(k);
    message += title.empty() ? std::string(" at the top level") : " in " + std::string(title);
    for (const Section& s : kSections) {
      if (s.title == title) continue;
      if (std::find(s.keys.begin(), s.keys.end(), k) != s.keys.end()) {
        AddError(At(key.source()), message, Quoted(k) + " " + s.belongs);
        return;
      }
    }
    std::string near = Nearest(k, valid);
    AddError(
        At(key.source()), message,
        near.empty() ? "valid keys: " + JoinWords(valid) : "did you mean " + Quoted(near) + "?");
  }

  void WrongType(const toml::node& node, std::string_view key, std::string_view expected) {
    AddError(At(node.source()),
             Quoted(key) + " must be " + std::string(expected) + ", not " + TypeName(node));
  }

  const toml::table* Table(const toml::node& node, const toml::key& key) {
    if (const auto* t = node.as_table()) return t;
    WrongType(node, key.str(), "a table");
    return nullptr;
  }

  // A string value, with ${VARS} expanded when `expand`.
  std::optional<Located<std::string>> String(const toml::node& node, std::string_view key,
                                             bool expand = true) {
    const auto* s = node.as_string();
    if (s == nullptr) {
      WrongType(node, key, "a string");
      return std::nullopt;
    }
    Located<std::string> out{s->get(), At(node.source())};
    if (expand) {
      auto expanded = ExpandVariables(out.value, host_, profile_dir_);
      if (!expanded) {
        AddError(out.where, expanded.error().message, expanded.error().hint);
        return std::nullopt;
      }
      out.value = std::move(expanded).value();
    }
    return out;
  }

  std::optional<Located<bool>> Bool(const toml::node& node, std::string_view key) {
    const auto* b = node.as_boolean();
    if (b == nullptr) {
      WrongType(node, key, "a boolean");
      return std::nullopt;
    }
    return Located<bool>{b->get(), At(node.source())};
  }

  // A string that must be one of `allowed`; `hint` explains them.
  std::optional<Located<std::string>> Choice(const toml::node& node, std::string_view key,
                                             Words allowed, std::string hint) {
    auto s = String(node, key, false);
    if (!s) return s;
    if (std::find(allowed.begin(), allowed.end(), s->value) != allowed.end()) return s;
    AddError(s->where, Quoted(key) + " cannot be " + Quoted(s->value), std::move(hint));
    return std::nullopt;
  }

  std::optional<Located<int64_t>> Id(const toml::node& node, std::string_view key) {
    const auto* i = node.as_integer();
    if (i == nullptr) {
      WrongType(node, key, "an integer");
      return std::nullopt;
    }
    // (uid_t)-1 is reserved by the kernel: setuid(-1) means "leave unchanged".
    if (i->get() < 0 || i->get() >= int64_t{std::numeric_limits<uint32_t>::max()}) {
      AddError(At(node.source()), Quoted(key) + " must be between 0 and 4294967294");
      return std::nullopt;
    }
    return Located<int64_t>{i->get(), At(node.source())};
  }

  // [limits]: kept as text; policy::Build parses and checks them with the --limit code, and
  // reports problems at this location.
  void ParseLimits(const toml::table& table) {
    for (auto [key, node] : InFileOrder(table)) {
      const std::string_view k = key->str();
      if (std::find(kLimitKeys.begin(), kLimitKeys.end(), k) == kLimitKeys.end()) {
        Unknown(*key, "[limits]", kLimitKeys);
        continue;
      }
      std::string text;
      if (const auto* i = node->as_integer()) {
        text = std::to_string(i->get());
      } else if (const auto* f = node->as_floating_point(); f != nullptr && k == "cpus") {
        std::ostringstream out;
        out << f->get();
        text = out.str();
      } else if (auto s = String(*node, k)) {
        text = s->value;
      } else {
        continue;
      }
      result_.spec.limits.emplace_back(std::string(k),
                                       Located<std::string>{text, At(node->source())});
    }
  }

  // Syscall names are checked against the kernel's list by policy::Build, which knows it;
  // here only their shape, and that one file does not both deny and allow a name.
  void ParseSyscallList(const toml::node& node, std::string_view key,
                        std::vector<Located<std::string>>& into) {
    ProfileSpec::Seccomp& seccomp = result_.spec.seccomp;
    ForEachString(node, key, "an array of system call names", [&](Located<std::string> name) {
      for (const auto* list : {&seccomp.deny, &seccomp.allow}) {
        for (const auto& seen : *list) {
          if (seen.value != name.value) continue;
          AddError(
              name.where,
              Quoted(name.value) + " is already named at line " + std::to_string(seen.where.line),
              "name each system call once, in deny or in allow");
          name.value.clear();
        }
      }
      if (!name.value.empty()) into.push_back(std::move(name));
    });
  }

  void ParseSeccomp(const toml::table& table) {
    static constexpr std::array<std::string_view, 2> kPolicies = {"default", "none"};
    static constexpr std::array<std::string_view, 3> kActions = {"errno", "kill", "log"};
    ProfileSpec::Seccomp& seccomp = result_.spec.seccomp;
    for (auto [key, node] : InFileOrder(table)) {
      const std::string_view k = key->str();
      if (k == "policy") {
        seccomp.policy = Choice(*node, k, kPolicies,
                                "use \"default\" (the built-in deny list) or \"none\" (no filter)");
      } else if (k == "action") {
        seccomp.action = Choice(*node, k, kActions, "use \"errno\", \"kill\" or \"log\"");
      } else if (k == "deny") {
        ParseSyscallList(*node, k, seccomp.deny);
      } else if (k == "allow") {
        ParseSyscallList(*node, k, seccomp.allow);
      } else {
        Unknown(*key, "[seccomp]", kSeccompKeys);
      }
    }
  }

  void ParseSandbox(const toml::table& table) {
    static constexpr std::array<std::string_view, 2> kNetworks = {"none", "host"};
    static constexpr std::array<std::string_view, 3> kLandlock = {"auto", "on", "off"};
    static constexpr std::array<std::string_view, 2> kProc = {"fresh", "host"};
    static constexpr std::array<std::string_view, 3> kIsolation = {"namespaces", "landlock",
                                                                   "auto"};
    ProfileSpec& spec = result_.spec;
    for (auto [key, node] : InFileOrder(table)) {
      const std::string_view k = key->str();
      if (k == "hostname") {
        spec.hostname = String(*node, k);
        if (spec.hostname && (spec.hostname->value.empty() || spec.hostname->value.size() > 64)) {
          AddError(spec.hostname->where,
                   "hostname " + Quoted(spec.hostname->value) + " must be 1 to 64 characters");
          spec.hostname.reset();
        }
      } else if (k == "network") {
        spec.network = Choice(*node, k, kNetworks,
                              "use \"none\" (a network of its own with only lo) or \"host\"");
      } else if (k == "cwd") {
        spec.cwd = String(*node, k);
        if (spec.cwd && !IsAbsolute(spec.cwd->value)) {
          AddError(spec.cwd->where, "cwd " + Quoted(spec.cwd->value) + " is not an absolute path",
                   "it is a directory inside the sandbox, e.g. \"${PWD}\"");
          spec.cwd.reset();
        }
      } else if (k == "uid") {
        spec.uid = Id(*node, k);
      } else if (k == "gid") {
        spec.gid = Id(*node, k);
      } else if (k == "landlock") {
        spec.landlock = Choice(*node, k, kLandlock, "use \"auto\", \"on\" or \"off\"");
      } else if (k == "proc") {
        spec.proc = Choice(*node, k, kProc,
                           "use \"fresh\" (a proc of the sandbox's own) or \"host\" (the "
                           "caller's, for containers whose /proc is masked)");
      } else if (k == "isolation") {
        spec.isolation = Choice(*node, k, kIsolation,
                                "use \"namespaces\", \"landlock\" (no namespaces, docs/ci.md) or "
                                "\"auto\" (landlock only where user namespaces are refused)");
      } else {
        Unknown(*key, "[sandbox]", kSandboxKeys);
      }
    }
  }

  // True if `name` is a usable environment variable name; reports it otherwise.
  bool CheckEnvName(std::string_view name, const SourceLocation& where) {
    if (!name.empty() && name.find('=') == std::string_view::npos &&
        name.find('\0') == std::string_view::npos) {
      return true;
    }
    AddError(where, "invalid environment variable name " + Quoted(name),
             "names must be non-empty and contain no \"=\"");
    return false;
  }

  // Each name may appear once in [env], in one of pass, deny, set and unset.
  bool FirstMention(const std::string& name, std::string_view list, const SourceLocation& where) {
    auto [it, inserted] = env_names_.emplace(name, std::string(list));
    if (inserted) return true;
    AddError(where, Quoted(name) + " is already named in " + Quoted(it->second),
             "name each variable once in [env]: in pass, deny, set or unset");
    return false;
  }

  // set and unset act on one variable each; only pass and deny match several.
  bool CheckNotPattern(std::string_view name, std::string_view key, const SourceLocation& where) {
    if (name.find_first_of("*?") == std::string_view::npos) return true;
    AddError(where, Quoted(key) + " takes variable names, not patterns like " + Quoted(name),
             "patterns (* and ?) are for \"pass\" and \"deny\"");
    return false;
  }

  void ParseNameList(const toml::node& node, std::string_view key,
                     std::vector<Located<std::string>>& into, bool patterns) {
    ForEachString(node, key, "an array of strings", [&](Located<std::string> name) {
      if (!CheckEnvName(name.value, name.where)) return;
      if (!patterns && !CheckNotPattern(name.value, key, name.where)) return;
      if (!FirstMention(name.value, key, name.where)) return;
      into.push_back(std::move(name));
    });
  }

  // Calls `each` with every string of the array `node` (the value of `key`); anything else is
  // reported as not being `expected`.
  template <typename Each>
  void ForEachString(const toml::node& node, std::string_view key, std::string_view expected,
                     Each&& each) {
    const auto* array = node.as_array();
    if (array == nullptr) {
      WrongType(node, key, expected);
      return;
    }
    for (const toml::node& item : *array) {
      const auto* s = item.as_string();
      if (s == nullptr) {
        AddError(At(item.source()),
                 "each entry of " + Quoted(key) + " must be a string, not " + TypeName(item));
        continue;
      }
      each(Located<std::string>{s->get(), At(item.source())});
    }
  }

  void ParseEnv(const toml::table& table) {
    EnvSpec& env = result_.spec.env;
    for (auto [key, node] : InFileOrder(table)) {
      const std::string_view k = key->str();
      if (k == "clear") {
        env.clear = Bool(*node, k);
      } else if (k == "pass") {
        ParseNameList(*node, k, env.pass, true);
      } else if (k == "deny") {
        ParseNameList(*node, k, env.deny, true);
      } else if (k == "unset") {
        ParseNameList(*node, k, env.unset, false);
      } else if (k == "set") {
        const auto* t = Table(*node, *key);
        if (t == nullptr) continue;
        for (auto [name, value] : InFileOrder(*t)) {
          std::string n(name->str());
          if (!CheckEnvName(n, At(name->source()))) continue;
          if (!CheckNotPattern(n, "set", At(name->source()))) continue;
          auto v = String(*value, n);
          if (!v || !FirstMention(n, "set", At(name->source()))) continue;
          env.set.emplace_back(std::move(n), std::move(*v));
        }
      } else {
        Unknown(*key, "[env]", kEnvKeys);
      }
    }
  }

  // A path relative to the workspace's top level: no "..", not absolute, not empty.
  bool CheckWorkspacePath(const Located<std::string>& path) {
    const std::string& p = path.value;
    bool dotdot = p == ".." || p.starts_with("../") || p.ends_with("/..") ||
                  p.find("/../") != std::string::npos;
    if (!p.empty() && p[0] != '/' && !dotdot && p != "." && p.find('\0') == std::string::npos) {
      return true;
    }
    AddError(path.where, "workspace path " + Quoted(p) + " must be relative to the workspace",
             "name a path inside the project, e.g. \".envrc\" or \"tools/hooks\"");
    return false;
  }

  // [network]: the strings as written; policy::Build checks each (egress/rules.h) and reports
  // a bad one at its line.
  void ParseNetwork(const toml::table& table) {
    ProfileSpec::Network& network = result_.spec.network_rules;
    for (auto [key, node] : InFileOrder(table)) {
      const std::string_view k = key->str();
      if (k == "allow" || k == "resolve") {
        auto& into = k == "allow" ? network.allow : network.resolve;
        const char* what =
            k == "allow" ? "an array of \"HOST[:PORT]\"" : "an array of \"HOST:ADDR\"";
        ForEachString(*node, k, what,
                      [&](Located<std::string> entry) { into.push_back(std::move(entry)); });
      } else {
        Unknown(*key, "[network]", kNetworkKeys);
      }
    }
  }

  void ParseWorkspace(const toml::table& table) {
    static constexpr std::array<std::string_view, 3> kModes = {"bind", "overlay", "none"};
    static constexpr std::array<std::string_view, 2> kVcs = {"ro", "rw"};
    WorkspaceSpec& ws = result_.spec.workspace;
    for (auto [key, node] : InFileOrder(table)) {
      const std::string_view k = key->str();
      if (k == "mode") {
        ws.mode = Choice(*node, k, kModes,
                         "use \"bind\" (the project, read-write at its own path), \"overlay\" "
                         "(writes kept apart and listed) or \"none\"");
      } else if (k == "vcs") {
        ws.vcs =
            Choice(*node, k, kVcs, "use \"ro\" (VCS metadata read-only, the default) or \"rw\"");
      } else if (k == "protect" || k == "unprotect") {
        auto& into = k == "protect" ? ws.protect : ws.unprotect;
        ForEachString(*node, k, "an array of paths", [&](Located<std::string> path) {
          if (CheckWorkspacePath(path)) into.push_back(std::move(path));
        });
      } else {
        Unknown(*key, "[workspace]", kWorkspaceKeys);
      }
    }
  }

  // Calls `each` with every table of the array of tables `key` ([[mount]], [[cache]]); any
  // other shape is reported with the words a user needs.
  template <typename Each>
  void ForEachTable(const toml::node& node, std::string_view key, std::string_view what,
                    Each&& each) {
    const std::string hint =
        "write each " + std::string(what) + " as a [[" + std::string(key) + "]] section";
    const auto* array = node.as_array();
    if (array == nullptr) {
      AddError(At(node.source()),
               Quoted(key) + " must be an array of tables, not " + std::string(TypeName(node)),
               hint);
      return;
    }
    for (const toml::node& item : *array) {
      if (const auto* t = item.as_table()) {
        each(*t);
      } else {
        AddError(
            At(item.source()),
            "each entry of " + Quoted(key) + " must be a table, not " + std::string(TypeName(item)),
            hint);
      }
    }
  }

  static bool IsCacheName(std::string_view name) {
    if (name.empty() || name[0] == '.' || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
  }

  void ParseCache(const toml::table& table) {
    static constexpr std::array<std::string_view, 3> kShares = {"sandbox", "host", "run"};
    CacheSpec cache;
    bool ok = true;
    bool has_name = false;
    bool has_target = false;
    for (auto [key, node] : InFileOrder(table)) {
      const std::string_view k = key->str();
      if (k == "name") {
        auto name = String(*node, k, false);
        if (name && !IsCacheName(name->value)) {
          AddError(name->where, "cache name " + Quoted(name->value) + " is not a plain name",
                   "use letters, digits, \".\", \"_\" and \"-\", e.g. \"ccache\"");
          name.reset();
        }
        if (name) {
          for (const CacheSpec& seen : result_.spec.caches) {
            if (seen.name.value != name->value) continue;
            AddError(name->where,
                     "cache " + Quoted(name->value) + " is already named at line " +
                         std::to_string(seen.name.where.line),
                     "name each cache once in a file");
            name.reset();
            break;
          }
        }
        ok = ok && name.has_value();
        if (name) cache.name = std::move(*name);
        has_name = true;
      } else if (k == "target" || k == "host") {
        auto path = String(*node, k);
        if (path && !IsAbsolute(path->value)) {
          AddError(path->where,
                   std::string(k) + " " + Quoted(path->value) + " is not an absolute path",
                   k == "target" ? "targets are paths inside the sandbox, starting with \"/\""
                                 : "the host's cache, e.g. \"${HOME}/.cache/ccache\"");
          path.reset();
        }
        ok = ok && path.has_value();
        if (path && k == "target") cache.target = std::move(*path);
        if (path && k == "host") cache.host = std::move(*path);
        has_target = has_target || k == "target";
      } else if (k == "share") {
        cache.share = Choice(*node, k, kShares,
                             "use \"sandbox\" (kept for sandboxed runs only, the default), "
                             "\"host\" (the host's cache, read-write) or \"run\" (this run only)");
        ok = ok && cache.share.has_value();
      } else {
        Unknown(*key, "[[cache]]", kCacheKeys);
        ok = false;
      }
    }
    const SourceLocation where = At(table.source());
    for (auto [missing, has] : {std::pair{"name", has_name}, {"target", has_target}}) {
      if (has) continue;
      AddError(where, std::string("[[cache]] has no \"") + missing + "\"",
               std::string("add ") + missing +
                   (std::string(missing) == "name" ? " = \"ccache\"" : " = \"/tmp/.cache/x\""));
      ok = false;
    }
    if (ok) {
      if (cache.share && cache.share->value == "host" && !cache.host) {
        AddError(cache.share->where, "share = \"host\" needs the host's cache",
                 "add host = \"/path/of/the/host/cache\"");
        return;
      }
      result_.spec.caches.push_back(std::move(cache));
    }
  }

  // Which keys apply to which mount types (docs/profiles.md, "[[mount]]").
  static bool Applies(std::string_view key, MountKind kind, std::string* only_for) {
    if (key == "source") {
      *only_for = "bind, ro-bind, dev-bind and symlink";
      return IsBind(kind) || kind == MountKind::kSymlink;
    }
    if (key == "optional") {
      *only_for = "bind, ro-bind and dev-bind";
      return IsBind(kind);
    }
    if (key == "size") {
      *only_for = "tmpfs";
      return kind == MountKind::kTmpfs;
    }
    if (key == "mode") {
      *only_for = "tmpfs, dir and file";
      return kind == MountKind::kTmpfs || kind == MountKind::kDir || kind == MountKind::kFile;
    }
    if (key == "content") {
      *only_for = "file";
      return kind == MountKind::kFile;
    }
    return true;  // type, target
  }

  // The type of a [[mount]], or nullopt (reported) when it is missing or wrong.
  std::optional<MountKind> MountType(const toml::table& table, MountSpec& mount) {
    const toml::node* node = table.get("type");
    if (node == nullptr) {
      AddError(mount.table_where, "[[mount]] has no \"type\"",
               "add type = \"...\", one of " + JoinWords(kMountTypes));
      return std::nullopt;
    }
    auto type = String(*node, "type", false);
    if (!type) return std::nullopt;
    mount.where = type->where;
    for (size_t i = 0; i < kMountTypes.size(); ++i) {
      if (type->value != kMountTypes[i]) continue;
      mount.socket = type->value == "socket";
      return kMountKinds[i];
    }
    std::string near = Nearest(type->value, kMountTypes);
    AddError(type->where, "unknown mount type " + Quoted(type->value),
             near.empty() ? "use one of " + JoinWords(kMountTypes)
                          : "did you mean " + Quoted(near) + "?");
    return std::nullopt;
  }

  std::optional<uint64_t> Size(const toml::node& node) {
    std::string text;
    if (const auto* i = node.as_integer()) {
      text = std::to_string(i->get());
    } else if (const auto* s = node.as_string()) {
      text = s->get();
    } else {
      WrongType(node, "size", "a string or an integer");
      return std::nullopt;
    }
    auto size = ParseSize(text);
    if (!size) {
      AddError(At(node.source()), size.error().message, size.error().hint);
      return std::nullopt;
    }
    if (*size == 0) {
      // The kernel reads size=0 as "no limit": say so rather than silently agree.
      AddError(At(node.source()), "size must be more than 0",
               "leave \"size\" out for the kernel's default, half of the RAM");
      return std::nullopt;
    }
    return *size;
  }

  std::optional<unsigned> Mode(const toml::node& node) {
    if (const auto* i = node.as_integer()) {
      // 0o1777 is unambiguous; 1777 would be read as decimal.
      if ((i->flags() & toml::value_flags::format_as_octal) != toml::value_flags::none &&
          i->get() >= 0 && i->get() <= 07777) {
        return static_cast<unsigned>(i->get());
      }
      AddError(At(node.source()), "\"mode\" must be a string of octal digits, not an integer",
               "write it in quotes, e.g. mode = \"0755\"");
      return std::nullopt;
    }
    const auto* s = node.as_string();
    if (s == nullptr) {
      WrongType(node, "mode", "a string");
      return std::nullopt;
    }
    auto mode = ParseMode(s->get());
    if (!mode) {
      AddError(At(node.source()), mode.error().message, mode.error().hint);
      return std::nullopt;
    }
    return *mode;
  }

  void ParseMount(const toml::table& table) {
    MountSpec mount;
    mount.table_where = At(table.source());
    std::optional<MountKind> kind = MountType(table, mount);
    if (kind) mount.kind = *kind;
    const std::string type_name = kind ? MountKindName(*kind) : "";
    bool ok = kind.has_value();
    bool has_target = false;
    for (auto [key, node] : InFileOrder(table)) {
      const std::string_view k = key->str();
      if (std::find(kMountKeys.begin(), kMountKeys.end(), k) == kMountKeys.end()) {
        Unknown(*key, "[[mount]]", kMountKeys);
        ok = false;
        continue;
      }
      if (k == "type") continue;
      std::string only_for;
      if (kind && !Applies(k, *kind, &only_for)) {
        AddError(At(key->source()), Quoted(k) + " does not apply to a " + type_name + " mount",
                 Quoted(k) + " is only for " + only_for + " mounts");
        ok = false;
        continue;
      }
      const SourceLocation where = At(node->source());
      if (k == "source") {
        mount.source = String(*node, k);
        if (!mount.source) {
          ok = false;
        } else if (kind && IsBind(*kind) && !IsAbsolute(mount.source->value)) {
          AddError(where, "source " + Quoted(mount.source->value) + " is not an absolute path",
                   "start it with ${PWD}/ or ${PROFILE_DIR}/ for a path relative to the working "
                   "directory or to this file");
          ok = false;
        } else if (mount.source->value.empty()) {
          AddError(where, "symlink source is empty", "source is the text of the link");
          ok = false;
        }
      } else if (k == "target") {
        auto target = String(*node, k);
        if (!target) {
          ok = false;
        } else if (!IsAbsolute(target->value)) {
          AddError(where, "target " + Quoted(target->value) + " is not an absolute path",
                   "targets are paths inside the sandbox, starting with \"/\"");
          ok = false;
        } else {
          mount.target = std::move(*target);
          has_target = true;
        }
      } else if (k == "optional") {
        if (auto b = Bool(*node, k)) {
          mount.optional = b->value;
          mount.optional_where = where;
        } else {
          ok = false;
        }
      } else if (k == "size") {
        mount.size_bytes = Size(*node);
        mount.size_where = where;
        ok = ok && mount.size_bytes.has_value();
      } else if (k == "mode") {
        mount.mode = Mode(*node);
        mount.mode_where = where;
        ok = ok && mount.mode.has_value();
      } else if (k == "content") {
        if (auto s = String(*node, k)) {
          mount.content = std::move(s->value);
          mount.content_where = where;
        } else {
          ok = false;
        }
      }
    }
    if (!kind) return;
    const bool needs_source = IsBind(*kind) || *kind == MountKind::kSymlink;
    if (needs_source && table.get("source") == nullptr) {
      AddError(mount.table_where, "[[mount]] of type " + Quoted(type_name) + " has no \"source\"",
               *kind == MountKind::kSymlink ? "add source = \"...\", the text of the link"
                                            : "add source = \"/path/on/the/host\"");
      return;
    }
    if (table.get("target") == nullptr) {
      if (IsBind(*kind)) {
        if (mount.source) mount.target = *mount.source;  // the same path inside
        has_target = mount.source.has_value();
      } else {
        AddError(mount.table_where, "[[mount]] of type " + Quoted(type_name) + " has no \"target\"",
                 "add target = \"/path/in/the/sandbox\"");
        return;
      }
    }
    if (ok && has_target) result_.spec.mounts.push_back(std::move(mount));
  }

  std::string text_;
  std::string file_;
  const HostContext& host_;
  std::vector<std::string> lines_;
  std::string profile_dir_;
  std::map<std::string, std::string> env_names_;  // name -> the [env] list it is in
  ParseResult result_;
};

// An error for an exception other than toml::parse_error (bad_alloc, in practice).
Error Unexpected(std::string_view file_name, const char* what) {
  Error e = MakeError("cannot parse profile " + std::string(file_name) + ": " + what);
  e.where = SourceLocation{std::string(file_name), 0, 0};
  return e;
}

}  // namespace

Result<ProfileSpec> ParseResult::TakeSpec() && {
  if (!errors.empty()) return std::move(errors.front());
  return std::move(spec);
}

ParseResult Parse(std::string_view text, std::string_view file_name, const HostContext& host) {
  try {
    return FileParser(text, file_name, host).Run();
  } catch (const std::exception& e) {
    ParseResult result;
    result.errors.push_back(Unexpected(file_name, e.what()));
    return result;
  } catch (...) {
    ParseResult result;
    result.errors.push_back(Unexpected(file_name, "unexpected exception"));
    return result;
  }
}

Result<ProfileSpec> ParseString(std::string_view text, std::string_view file_name,
                                const HostContext& host) {
  return Parse(text, file_name, host).TakeSpec();
}

std::string FormatProfileError(const Error& error) {
  if (!error.where || error.where->line <= 0) return error.ToString();
  std::string out = error.where->ToString() + ": " + error.message;
  if (error.errno_value != 0) out += std::string(": ") + std::strerror(error.errno_value);
  if (!error.hint.empty()) out += "; " + error.hint;
  if (error.excerpt.empty()) return out;
  out += "\n" + error.excerpt + "\n";
  // Columns count code points: skip UTF-8 continuation bytes, keep tabs as tabs.
  int column = 1;
  for (size_t i = 0; i < error.excerpt.size() && column < error.where->column; ++i) {
    const auto c = static_cast<unsigned char>(error.excerpt[i]);
    if ((c & 0xC0) == 0x80) continue;
    out += c == '\t' ? '\t' : ' ';
    ++column;
  }
  out += std::string(static_cast<size_t>(std::max(0, error.where->column - column)), ' ');
  out += '^';
  return out;
}

}  // namespace sandbox::profile

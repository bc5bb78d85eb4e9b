// One profile file: TOML text -> ProfileSpec, validated strictly (unknown keys, wrong types,
// bad values are errors with file:line:col, the line and a hint).
#include <toml++/toml.h>

#include <algorithm>
#include <initializer_list>
#include <sstream>

#include "common/units.h"
#include "profile/load.h"

namespace sandbox::profile {
namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Nearest(std::string_view word, std::initializer_list<const char*> candidates) {
  std::string best;
  size_t best_distance = 3;  // more than two edits away is no suggestion
  for (const char* c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string Join(std::initializer_list<const char*> words) {
  std::string out;
  for (const char* w : words) out += (out.empty() ? "" : ", ") + std::string(w);
  return out;
}

// Parses one file, collecting errors instead of stopping at the first.
class FileParser {
 public:
  FileParser(std::string_view text, std::string_view file, const HostContext& host)
      : text_(text), file_(file), host_(host) {
    std::string t(text);
    std::istringstream in(t);
    for (std::string line; std::getline(in, line);) lines_.push_back(line);
    size_t slash = file_.rfind('/');
    profile_dir_ = slash == std::string::npos ? host_.cwd : file_.substr(0, slash);
    if (profile_dir_.empty()) profile_dir_ = "/";
  }

  ParseResult Run() {
    result_.spec.path = file_;
    toml::table root;
    try {
      root = toml::parse(text_, file_);
    } catch (const toml::parse_error& e) {
      AddError(At(e.source()), std::string(e.description()), "fix the TOML syntax");
      return std::move(result_);
    }
    for (auto&& [key, node] : root) {
      std::string k(key.str());
      if (k == "extends") {
        if (auto s = String(node, "extends")) {
          result_.extends = s->value;
          result_.extends_where = s->where;
        }
      } else if (k == "sandbox") {
        if (auto* t = Table(node, "[sandbox]")) ParseSandbox(*t);
      } else if (k == "env") {
        if (auto* t = Table(node, "[env]")) ParseEnv(*t);
      } else if (k == "mount") {
        ParseMounts(node);
      } else if (k == "limits") {
        if (auto* t = Table(node, "[limits]")) ParseLimits(*t);
      } else {
        Unknown(key, "at the top level", {"extends", "sandbox", "env", "mount", "limits"});
      }
    }
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
      e.excerpt = lines_[static_cast<size_t>(where.line - 1)];
    }
    e.where = std::move(where);
    result_.errors.push_back(std::move(e));
  }

  void Unknown(const toml::key& key, const std::string& where,
               std::initializer_list<const char*> valid) {
    std::string near = Nearest(key.str(), valid);
    AddError(At(key.source()), "unknown key \"" + std::string(key.str()) + "\" " + where,
             near.empty() ? "valid keys: " + Join(valid) : "did you mean \"" + near + "\"?");
  }

  const toml::table* Table(const toml::node& node, const std::string& what) {
    if (auto* t = node.as_table()) return t;
    AddError(At(node.source()), what + " must be a table");
    return nullptr;
  }

  std::optional<Located<std::string>> String(const toml::node& node, const std::string& key) {
    auto value = node.value<std::string>();
    if (!node.is_string() || !value) {
      AddError(At(node.source()), "\"" + key + "\" must be a string", "put the value in quotes");
      return std::nullopt;
    }
    Located<std::string> out{Expand(*value, At(node.source())), At(node.source())};
    return out;
  }

  std::optional<Located<bool>> Bool(const toml::node& node, const std::string& key) {
    if (!node.is_boolean()) {
      AddError(At(node.source()), "\"" + key + "\" must be true or false");
      return std::nullopt;
    }
    return Located<bool>{*node.value<bool>(), At(node.source())};
  }

  std::optional<Located<int64_t>> Integer(const toml::node& node, const std::string& key) {
    if (!node.is_integer()) {
      AddError(At(node.source()), "\"" + key + "\" must be a whole number");
      return std::nullopt;
    }
    return Located<int64_t>{*node.value<int64_t>(), At(node.source())};
  }

  std::optional<Located<std::string>> OneOf(const toml::node& node, const std::string& key,
                                            std::initializer_list<const char*> allowed) {
    auto s = String(node, key);
    if (!s) return s;
    for (const char* a : allowed) {
      if (s->value == a) return s;
    }
    AddError(s->where, "\"" + key + "\" cannot be \"" + s->value + "\"",
             "use one of: " + Join(allowed));
    return std::nullopt;
  }

  std::vector<Located<std::string>> Strings(const toml::node& node, const std::string& key) {
    std::vector<Located<std::string>> out;
    auto* array = node.as_array();
    if (array == nullptr) {
      AddError(At(node.source()), "\"" + key + "\" must be a list of strings",
               "e.g. " + key + " = [\"A\", \"B\"]");
      return out;
    }
    for (const toml::node& item : *array) {
      if (auto s = String(item, key + " entry")) out.push_back(*s);
    }
    return out;
  }

  // ${PWD} ${HOME} ${USER} ${UID} ${GID} ${PROFILE_DIR} ${env:NAME}; "$$" is a literal "$".
  std::string Expand(const std::string& text, const SourceLocation& where) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '$') {
        out += text[i];
        continue;
      }
      if (i + 1 < text.size() && text[i + 1] == '$') {
        out += '$';
        ++i;
        continue;
      }
      size_t close = text.find('}', i);
      if (i + 1 >= text.size() || text[i + 1] != '{' || close == std::string::npos) {
        AddError(where, "a lone \"$\" in \"" + text + "\"", "write $$ for a literal dollar sign");
        return text;
      }
      std::string name = text.substr(i + 2, close - i - 2);
      std::optional<std::string> value = Variable(name);
      if (!value) {
        if (name.rfind("env:", 0) == 0) {
          AddError(where, "environment variable " + name.substr(4) + " is not set",
                   "set it, or stop using ${" + name + "}");
        } else {
          AddError(where, "unknown variable ${" + name + "}",
                   "known: ${PWD} ${HOME} ${USER} ${UID} ${GID} ${PROFILE_DIR} ${env:NAME}");
        }
        return text;
      }
      out += *value;
      i = close;
    }
    return out;
  }

  std::optional<std::string> Variable(const std::string& name) const {
    if (name == "PWD") return host_.cwd;
    if (name == "HOME") return host_.home;
    if (name == "USER") return host_.user;
    if (name == "UID") return std::to_string(host_.uid);
    if (name == "GID") return std::to_string(host_.gid);
    if (name == "PROFILE_DIR") return profile_dir_;
    if (name.rfind("env:", 0) == 0) {
      auto it = host_.env.find(name.substr(4));
      if (it != host_.env.end()) return it->second;
    }
    return std::nullopt;
  }

  void ParseSandbox(const toml::table& table) {
    ProfileSpec& spec = result_.spec;
    for (auto&& [key, node] : table) {
      std::string k(key.str());
      if (k == "hostname") {
        spec.hostname = String(node, k);
      } else if (k == "network") {
        spec.network = OneOf(node, k, {"none", "host"});
      } else if (k == "cwd") {
        spec.cwd = String(node, k);
      } else if (k == "uid") {
        spec.uid = Integer(node, k);
      } else if (k == "gid") {
        spec.gid = Integer(node, k);
      } else if (k == "landlock") {
        spec.landlock = OneOf(node, k, {"auto", "on", "off"});
      } else {
        Unknown(key, "in [sandbox]", {"hostname", "network", "cwd", "uid", "gid", "landlock"});
      }
    }
  }

  void ParseEnv(const toml::table& table) {
    EnvSpec& env = result_.spec.env;
    for (auto&& [key, node] : table) {
      std::string k(key.str());
      if (k == "clear") {
        env.clear = Bool(node, k);
      } else if (k == "pass") {
        for (auto& s : Strings(node, k)) env.pass.push_back(s);
      } else if (k == "unset") {
        for (auto& s : Strings(node, k)) env.unset.push_back(s);
      } else if (k == "set") {
        auto* t = Table(node, "env.set");
        if (t == nullptr) continue;
        for (auto&& [name, value] : *t) {
          if (auto s = String(value, std::string(name.str()))) {
            env.set.emplace_back(std::string(name.str()), *s);
          }
        }
      } else {
        Unknown(key, "in [env]", {"clear", "pass", "set", "unset"});
      }
    }
  }

  void ParseLimits(const toml::table& table) {
    for (auto&& [key, node] : table) {
      std::string k(key.str());
      static constexpr const char* kNames[] = {"timeout", "timeout_grace", "nofile", "nproc",
                                               "fsize",   "cpu",           "core",   "stack",
                                               "as",      "memory",        "pids",   "cpus"};
      if (std::find_if(std::begin(kNames), std::end(kNames),
                       [&](const char* n) { return k == n; }) == std::end(kNames)) {
        Unknown(key, "in [limits]",
                {"timeout", "timeout_grace", "nofile", "nproc", "fsize", "cpu", "core", "stack",
                 "as", "memory", "pids", "cpus"});
        continue;
      }
      std::string text;
      if (node.is_integer()) {
        text = std::to_string(*node.value<int64_t>());
      } else if (node.is_floating_point() && k == "cpus") {
        std::ostringstream s;
        s << *node.value<double>();
        text = s.str();
      } else if (auto s = String(node, k)) {
        text = s->value;
      } else {
        continue;
      }
      result_.spec.limits.emplace_back(k, Located<std::string>{text, At(node.source())});
    }
  }

  void ParseMounts(const toml::node& node) {
    auto* array = node.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      AddError(At(node.source()), "\"mount\" must be an array of tables",
               "write each mount as a [[mount]] section");
      return;
    }
    for (const toml::node& item : *array) ParseMount(*item.as_table());
  }

  std::optional<MountKind> KindFromName(const std::string& name) {
    for (MountKind k : {MountKind::kBind, MountKind::kReadOnlyBind, MountKind::kDevBind,
                        MountKind::kTmpfs, MountKind::kProc, MountKind::kDev, MountKind::kDir,
                        MountKind::kSymlink, MountKind::kFile, MountKind::kMask}) {
      if (name == MountKindName(k)) return k;
    }
    return std::nullopt;
  }

  void ParseMount(const toml::table& table) {
    MountSpec mount;
    SourceLocation table_where = At(table.source());
    const toml::node* type_node = table.get("type");
    if (type_node == nullptr) {
      AddError(table_where, "[[mount]] has no \"type\"",
               "add type = \"ro-bind\" (or bind, dev-bind, tmpfs, proc, dev, dir, symlink, file, "
               "mask)");
      return;
    }
    auto type = String(*type_node, "type");
    if (!type) return;
    auto kind = KindFromName(type->value);
    if (!kind) {
      std::string near = Nearest(type->value, {"ro-bind", "bind", "dev-bind", "tmpfs", "proc",
                                               "dev", "dir", "symlink", "file", "mask"});
      AddError(type->where, "unknown mount type \"" + type->value + "\"",
               near.empty() ? "use one of: ro-bind, bind, dev-bind, tmpfs, proc, dev, dir, "
                              "symlink, file, mask"
                            : "did you mean \"" + near + "\"?");
      return;
    }
    mount.kind = *kind;
    mount.where = type->where;
    const bool bind = IsBind(mount.kind);
    const std::string kind_name = type->value;
    bool has_target = false;
    for (auto&& [key, node] : table) {
      std::string k(key.str());
      auto not_for = [&](const char* what) {
        AddError(At(key.source()), "\"" + k + "\" does not apply to a " + kind_name + " mount",
                 std::string("it is only for ") + what);
      };
      if (k == "type") continue;
      if (k == "source") {
        if (!bind && mount.kind != MountKind::kSymlink) {
          not_for("bind mounts and symlinks");
          continue;
        }
        mount.source = String(node, k);
        if (mount.source && bind && !mount.source->value.empty() &&
            mount.source->value[0] != '/') {
          mount.source->value = profile_dir_ + "/" + mount.source->value;  // relative to the file
        }
      } else if (k == "target") {
        if (auto t = String(node, k)) {
          if (t->value.empty() || t->value[0] != '/') {
            AddError(t->where, "target \"" + t->value + "\" is not an absolute path",
                     "write it from the sandbox's root, e.g. /work");
          }
          mount.target = *t;
          has_target = true;
        }
      } else if (k == "optional") {
        if (auto b = Bool(node, k)) mount.optional = b->value;
      } else if (k == "size") {
        if (mount.kind != MountKind::kTmpfs) {
          not_for("tmpfs");
          continue;
        }
        std::string text;
        if (node.is_integer()) {
          text = std::to_string(*node.value<int64_t>());
        } else if (auto s = String(node, k)) {
          text = s->value;
        } else {
          continue;
        }
        auto size = ParseSize(text);
        if (!size) {
          AddError(At(node.source()), size.error().message, size.error().hint);
        } else {
          mount.size_bytes = *size;
        }
      } else if (k == "mode") {
        if (mount.kind != MountKind::kTmpfs && mount.kind != MountKind::kDir &&
            mount.kind != MountKind::kFile) {
          not_for("tmpfs, dir and file");
          continue;
        }
        if (auto s = String(node, k)) {
          auto mode = ParseMode(s->value);
          if (!mode) {
            AddError(s->where, mode.error().message, mode.error().hint);
          } else {
            mount.mode = *mode;
          }
        }
      } else if (k == "content") {
        if (mount.kind != MountKind::kFile) {
          not_for("file");
          continue;
        }
        if (auto s = String(node, k)) mount.content = s->value;
      } else {
        Unknown(key, "in [[mount]]",
                {"type", "source", "target", "optional", "size", "mode", "content"});
      }
    }
    if ((bind || mount.kind == MountKind::kSymlink) && !mount.source) {
      if (table.get("source") == nullptr) {
        AddError(mount.where, "a " + kind_name + " mount needs a \"source\"",
                 bind ? "add source = \"/host/path\"" : "add source = \"link text\"");
      }
      return;
    }
    if (!has_target) {
      if (bind && mount.source) {
        mount.target = *mount.source;  // a bind defaults to the same path inside
      } else if (table.get("target") == nullptr) {
        AddError(mount.where, "a " + kind_name + " mount needs a \"target\"",
                 "add target = \"/path/inside\"");
        return;
      } else {
        return;
      }
    }
    result_.spec.mounts.push_back(std::move(mount));
  }

  std::string text_;
  std::string file_;
  const HostContext& host_;
  std::vector<std::string> lines_;
  std::string profile_dir_;
  ParseResult result_;
};

}  // namespace

ParseResult Parse(std::string_view text, std::string_view file_name, const HostContext& host) {
  try {
    return FileParser(text, file_name, host).Run();
  } catch (const std::exception& e) {
    // toml++ or the standard library ran out of something; never let it escape.
    ParseResult result;
    result.errors.push_back(MakeError(std::string(file_name) + ": " + e.what()));
    return result;
  }
}

}  // namespace sandbox::profile

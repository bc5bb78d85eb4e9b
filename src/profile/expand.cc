#include "profile/expand.h"

#include <array>

#include "profile/suggest.h"

namespace sandbox::profile {
namespace {

constexpr std::array<std::string_view, 7> kVariables = {"PWD", "HOME",        "USER",    "UID",
                                                        "GID", "PROFILE_DIR", "env:NAME"};

Error Bad(std::string message, std::string hint) {
  Error e = MakeError(std::move(message));
  e.hint = std::move(hint);
  return e;
}

// The value of one variable (the text between "${" and "}").
Result<std::string> Lookup(std::string_view name, const HostContext& host,
                           std::string_view profile_dir) {
  std::string value;
  if (name.starts_with("env:")) {
    std::string var(name.substr(4));
    if (var.empty()) return Bad("empty variable name in ${env:}", "write ${env:NAME}");
    auto it = host.env.find(var);
    if (it == host.env.end()) {
      return Bad("environment variable " + var + " is not set",
                 "${env:" + var + "} is read from the environment sandbox runs in");
    }
    return it->second;  // an empty value is a value
  }
  if (name == "PWD") {
    value = host.cwd;
  } else if (name == "HOME") {
    value = host.home;
  } else if (name == "USER") {
    value = host.user;
  } else if (name == "UID") {
    value = std::to_string(host.uid);
  } else if (name == "GID") {
    value = std::to_string(host.gid);
  } else if (name == "PROFILE_DIR") {
    value = std::string(profile_dir);
  } else {
    std::string near = Nearest(name, kVariables);
    return Bad("unknown variable ${" + std::string(name) + "}",
               near.empty() ? "known variables: ${PWD}, ${HOME}, ${USER}, ${UID}, ${GID}, "
                              "${PROFILE_DIR}, ${env:NAME}"
                            : "did you mean ${" + near + "}?");
  }
  if (value.empty()) {
    return Bad("${" + std::string(name) + "} has no value on this host",
               name == "PWD" ? "run sandbox from a directory that still exists"
                             : "set " + std::string(name) + " in the environment");
  }
  return value;
}

}  // namespace

Result<std::string> ExpandVariables(std::string_view text, const HostContext& host,
                                    std::string_view profile_dir) {
  std::string out;
  out.reserve(text.size());
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
    if (i + 1 >= text.size() || text[i + 1] != '{') {
      return Bad("\"$\" not followed by \"{\" in \"" + std::string(text) + "\"",
                 "write ${NAME} for a variable, $$ for a dollar sign");
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Bad("unclosed \"${\" in \"" + std::string(text) + "\"", "end the name with \"}\"");
    }
    auto value = Lookup(text.substr(i + 2, close - i - 2), host, profile_dir);
    if (!value) return value.error();
    out += *value;
    i = close;
  }
  return out;
}

}  // namespace sandbox::profile

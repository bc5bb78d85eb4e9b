#include "egress/rules.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sandbox::egress {
namespace {

Result<uint16_t> ParsePort(std::string_view text, std::string_view whole) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value == 0 ||
      value > 65535) {
    Error e = MakeError("\"" + std::string(whole) + "\": port \"" + std::string(text) +
                        "\" is not a number from 1 to 65535");
    e.hint = "e.g. registry.npmjs.org:443";
    return e;
  }
  return static_cast<uint16_t>(value);
}

Error NotAHost(std::string_view whole) {
  Error e = MakeError("\"" + std::string(whole) + "\" is not a host name or IP address");
  e.hint =
      "write HOST[:PORT]: a DNS name (example.org), *.example.org for its subdomains, an IPv4 "
      "address or a bracketed IPv6 one ([2001:db8::1]:443)";
  return e;
}

}  // namespace

std::string CanonicalName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return "";
  std::string out;
  out.reserve(name.size());
  size_t label = 0;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '.') {
      if (label == 0) return "";
      label = 0;
    } else if (std::isalnum(u) != 0 || c == '-' || c == '_') {
      if (++label > 63) return "";
    } else {
      return "";
    }
    out += static_cast<char>(std::tolower(u));
  }
  return label == 0 ? "" : out;
}

std::string CanonicalAddress(std::string_view text) {
  std::string copy(text);
  unsigned char bytes[16];
  char out[INET6_ADDRSTRLEN];
  if (::inet_pton(AF_INET, copy.c_str(), bytes) == 1) {
    return ::inet_ntop(AF_INET, bytes, out, sizeof(out)) != nullptr ? out : "";
  }
  if (::inet_pton(AF_INET6, copy.c_str(), bytes) == 1) {
    return ::inet_ntop(AF_INET6, bytes, out, sizeof(out)) != nullptr ? out : "";
  }
  return "";
}

Result<HostRule> ParseHostRule(std::string_view text) {
  HostRule rule;
  std::string_view host = text;
  std::string_view port;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return NotAHost(text);
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return NotAHost(text);
      port = rest.substr(1);
      if (port.empty()) return ParsePort(port, text).error();
    }
    rule.host = CanonicalAddress(host);
    if (rule.host.empty() || rule.host.find(':') == std::string::npos) return NotAHost(text);
    rule.literal_ip = true;
  } else {
    size_t colon = text.find(':');
    if (colon != std::string_view::npos && text.find(':', colon + 1) != std::string_view::npos) {
      // A bare IPv6 address: no port can follow it unambiguously.
      rule.host = CanonicalAddress(text);
      if (rule.host.empty()) return NotAHost(text);
      rule.literal_ip = true;
    } else {
      if (colon != std::string_view::npos) {
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (port.empty()) return ParsePort(port, text).error();
      }
      if (host.starts_with("*.")) {
        rule.subdomains = true;
        host.remove_prefix(2);
      }
      std::string address = CanonicalAddress(host);
      if (!address.empty() && !rule.subdomains) {
        rule.host = address;
        rule.literal_ip = true;
      } else {
        rule.host = CanonicalName(host);
        if (rule.host.empty()) return NotAHost(text);
      }
    }
  }
  if (port.empty()) {
    rule.ports = {443, 80};
  } else {
    auto number = ParsePort(port, text);
    if (!number) return number.error();
    rule.ports = {*number};
  }
  return rule;
}

Result<Pin> ParsePin(std::string_view text) {
  size_t colon = text.find(':');
  auto bad = [&text] {
    Error e = MakeError("\"" + std::string(text) + "\" is not HOST:ADDRESS");
    e.hint = "e.g. --resolve registry.test:127.0.0.1 (or registry.test:[::1])";
    return e;
  };
  if (colon == std::string_view::npos) return bad();
  Pin pin;
  pin.host = CanonicalName(text.substr(0, colon));
  std::string_view address = text.substr(colon + 1);
  if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
    address = address.substr(1, address.size() - 2);
  }
  pin.address = CanonicalAddress(address);
  if (pin.host.empty() || pin.address.empty()) return bad();
  return pin;
}

bool Matches(const HostRule& rule, std::string_view name, uint16_t port) {
  if (std::find(rule.ports.begin(), rule.ports.end(), port) == rule.ports.end()) return false;
  if (!rule.subdomains) return name == rule.host;
  return name.size() > rule.host.size() + 1 && name.ends_with(rule.host) &&
         name[name.size() - rule.host.size() - 1] == '.';
}

bool Allowed(const std::vector<HostRule>& rules, std::string_view name, uint16_t port) {
  return std::any_of(rules.begin(), rules.end(),
                     [&](const HostRule& r) { return Matches(r, name, port); });
}

bool NameAllowed(const std::vector<HostRule>& rules, std::string_view name) {
  return std::any_of(rules.begin(), rules.end(), [&](const HostRule& r) {
    return !r.literal_ip && Matches(r, name, r.ports.front());
  });
}

bool IsLocalhost(std::string_view name) {
  constexpr std::string_view kLocalhost = "localhost";
  return name == kLocalhost || (name.size() > kLocalhost.size() + 1 && name.ends_with(kLocalhost) &&
                                name[name.size() - kLocalhost.size() - 1] == '.');
}

std::vector<std::string> NumberedNames(const std::vector<HostRule>& rules) {
  std::vector<std::string> names;
  for (const HostRule& rule : rules) {
    if (rule.subdomains || rule.literal_ip || IsLocalhost(rule.host)) continue;
    if (std::find(names.begin(), names.end(), rule.host) == names.end()) {
      names.push_back(rule.host);
    }
  }
  return names;
}

std::string RuleText(const HostRule& rule) {
  std::string text = rule.subdomains ? "*." + rule.host : rule.host;
  if (rule.literal_ip && rule.host.find(':') != std::string::npos) text = "[" + text + "]";
  for (size_t i = 0; i < rule.ports.size(); ++i) {
    text += (i == 0 ? ":" : ",") + std::to_string(rule.ports[i]);
  }
  return text;
}

}  // namespace sandbox::egress

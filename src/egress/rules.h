// The egress allow-list as data: `--allow-host HOST[:PORT]` rules, `--resolve HOST:ADDR` pins,
// their parsing and the one matching function both the supervisor (the socket fence) and the
// proxy process use (docs/network.md). Pure: no I/O.
#ifndef SANDBOX_EGRESS_RULES_H_
#define SANDBOX_EGRESS_RULES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace sandbox::egress {

/// Inside the job's network namespace: the proxy listens on 127.0.0.1 and ::1 at this port
/// (the job's HTTP(S)_PROXY) and the resolver on 127.0.0.1:53 (its resolv.conf).
inline constexpr uint16_t kProxyPort = 3128;
inline constexpr const char* kProxyUrl = "http://127.0.0.1:3128";

/// One allowed destination. `host` is a lower-case DNS name without a trailing dot, or the
/// canonical text of an IP address (`literal_ip`). `subdomains`: written "*.example.org",
/// which matches a.example.org and a.b.example.org but not example.org itself.
struct HostRule {
  std::string host;
  bool subdomains = false;
  bool literal_ip = false;
  std::vector<uint16_t> ports;  // never empty; 443 and 80 when none was written
  std::string origin;           // "--allow-host x" or "cc.toml:12:5", for messages and show
};

/// `--resolve HOST:ADDR`: HOST is reached at ADDR on the host side, before any DNS lookup.
struct Pin {
  std::string host;     // lower-case, no trailing dot
  std::string address;  // canonical text of an IPv4 or IPv6 address
  std::string origin;
};

/// "example.org", "*.example.org:8443", "10.0.0.1:80", "[2001:db8::1]:443". The error has no
/// origin; the caller adds it.
Result<HostRule> ParseHostRule(std::string_view text);

/// "registry.test:127.0.0.1", "registry.test:[::1]" or "registry.test:::1".
Result<Pin> ParsePin(std::string_view text);

/// `name` lower-cased without a trailing dot; "" if it is not a valid DNS name (labels of
/// letters, digits, '-' and '_', 1 to 63 bytes each, 253 in all).
std::string CanonicalName(std::string_view name);

/// The canonical text of an IP address (inet_ntop of inet_pton), or "" if `text` is none.
std::string CanonicalAddress(std::string_view text);

/// Whether `rule` allows `name` (canonical, or an address's canonical text) on `port`.
bool Matches(const HostRule& rule, std::string_view name, uint16_t port);

/// Whether any rule allows it; with `any_port`, whether any rule names `name` at all (a name
/// lookup is answered for a name some rule allows on some port).
bool Allowed(const std::vector<HostRule>& rules, std::string_view name, uint16_t port);
bool NameAllowed(const std::vector<HostRule>& rules, std::string_view name);

/// RFC 6761 6.3: "localhost" and the names beneath it are the job's own loopback, never looked
/// up. `name` canonical.
bool IsLocalhost(std::string_view name);

/// The exact names the rules allow (not `*.` rules, address literals nor localhost), each
/// once, in the rules' order. The supervisor gives them their synthetic numbers before the
/// run (the first kFirstSyntheticIndex, control.h, and on) and writes them into the job's
/// /etc/hosts, so that an allowed name resolves without a DNS query (docs/network.md).
std::vector<std::string> NumberedNames(const std::vector<HostRule>& rules);

/// "example.org:443,80", "*.example.org:8443": how show and messages print a rule.
std::string RuleText(const HostRule& rule);

}  // namespace sandbox::egress

#endif  // SANDBOX_EGRESS_RULES_H_

// The sandbox's resolver: one DNS query in, one reply out, built and parsed with ldns. An
// allowed name gets its synthetic addresses (control.h); `localhost` and `*.localhost` the
// job's own loopback (RFC 6761); any other name gets NXDOMAIN at once and is never looked up
// anywhere (no DNS exfiltration through the proxy).
#ifndef SANDBOX_EGRESS_DNS_ANSWER_H_
#define SANDBOX_EGRESS_DNS_ANSWER_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sandbox::egress {

/// Given a canonical name, its synthetic number if the name may be resolved, else nullopt
/// (the name is denied; the callee records it).
using NameDecision = std::function<std::optional<uint32_t>(const std::string& name)>;

/// The reply to the query `bytes`; empty when nothing should be sent back (not a query, or
/// bytes that do not parse as a DNS message: a client times out as for a lost packet).
std::vector<uint8_t> AnswerQuery(const uint8_t* bytes, size_t size, const NameDecision& decide);

/// The synthetic IPv4 (4 bytes) and IPv6 (16 bytes) addresses of number `index`.
void SyntheticV4(uint32_t index, uint8_t out[4]);
void SyntheticV6(uint32_t index, uint8_t out[16]);

/// The number of a synthetic address (network order bytes), or nullopt.
std::optional<uint32_t> SyntheticIndexV4(const uint8_t address[4]);
std::optional<uint32_t> SyntheticIndexV6(const uint8_t address[16]);

}  // namespace sandbox::egress

#endif  // SANDBOX_EGRESS_DNS_ANSWER_H_

// libFuzzer target for the egress proxy's parsers of the job's bytes (docs/network.md): the TLS
// ClientHello's server name (egress/sni.h), the HTTP request head and CONNECT authority
// (egress/http_head.h), and the resolver's handling of a DNS query (egress/dns_answer.h: the
// message itself is ldns's to parse; the question's name, the decision and the reply are
// ours). Each gets the same bytes, and every prefix of them must parse without a crash and
// give an answer consistent with the whole. Seeds: tests/fuzz/corpus/egress/.
//
// Build (clang, SANDBOX_BUILD_FUZZERS): egress_fuzzer; without libFuzzer, egress_fuzz_replay
// replays the corpus under ctest.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "egress/dns_answer.h"
#include "egress/http_head.h"
#include "egress/sni.h"

// Last: ldns's headers define `bool` as a macro for C, which breaks C++ headers after them.
#include <ldns/ldns.h>

namespace {

using sandbox::egress::HttpHead;
using sandbox::egress::SniResult;

void Check(bool ok) {
  if (!ok) std::abort();
}

bool IsHostText(const std::string& name) {
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || (u >= 'A' && u <= 'Z')) return false;
  }
  return true;
}

void FuzzClientHello(std::string_view bytes) {
  SniResult whole = sandbox::egress::ParseClientHello(bytes);
  if (whole.status == SniResult::Status::kFound) {
    // A name the proxy compares with an allowed one: a lower-case DNS host name.
    Check(!whole.name.empty() && whole.name.size() <= 253 && IsHostText(whole.name));
  } else {
    Check(whole.name.empty());
  }
  // A decision made on more bytes never contradicts one made on fewer: once a prefix gives a
  // final answer, the whole gives the same (the proxy decides on the first final answer).
  for (size_t n = 0; n < bytes.size(); n += 1 + n / 8) {
    SniResult part = sandbox::egress::ParseClientHello(bytes.substr(0, n));
    if (part.status == SniResult::Status::kNeedMore) continue;
    Check(part.status == whole.status && part.name == whole.name);
    break;
  }
}

void FuzzHttpHead(std::string_view bytes) {
  HttpHead head = sandbox::egress::ParseHttpHead(bytes);
  if (head.status == HttpHead::Status::kComplete) {
    Check(head.head_size <= bytes.size() && head.head_size <= sandbox::egress::kMaxHttpHead);
    Check(head.line_size > 0 && head.line_size <= head.head_size);
    Check(!head.method.empty() && (head.version == "HTTP/1.1" || head.version == "HTTP/1.0"));
    if (head.method == "CONNECT") {
      Check(!head.host.empty() && head.port != 0 && IsHostText(head.host));
    }
    if (head.absolute) Check(!head.host.empty() && head.port != 0 && head.path[0] == '/');
    if (!head.host_header.empty()) Check(IsHostText(head.host_header));
    // The proxy rewrites an absolute-URI request from the request line's length: the line
    // must end where it says.
    Check(bytes[head.line_size - 1] == '\n');
  }
  // The same head, cut anywhere, is never complete with another size.
  if (head.status == HttpHead::Status::kComplete && head.head_size < bytes.size()) {
    HttpHead cut = sandbox::egress::ParseHttpHead(bytes.substr(0, head.head_size));
    Check(cut.status == HttpHead::Status::kComplete && cut.head_size == head.head_size);
  }
  std::string host;
  uint16_t port = 0;
  if (sandbox::egress::SplitAuthority(bytes.substr(0, 300), &host, &port)) {
    Check(!host.empty() && host.size() <= 253 && IsHostText(host));
  }
}

void FuzzDnsQuery(std::string_view bytes) {
  std::optional<std::string> asked;
  sandbox::egress::NameDecision decide = [&asked](const std::string& name) {
    // Every name handed to the decision is canonical: non-empty, lower-case, no final dot.
    Check(!name.empty() && name.back() != '.' && IsHostText(name));
    asked = name;
    return name.size() % 2 == 0 ? std::optional<uint32_t>(7) : std::nullopt;
  };
  std::vector<uint8_t> reply = sandbox::egress::AnswerQuery(
      reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), decide);
  if (reply.empty()) return;
  // A reply is a well-formed DNS message answering the query's id.
  ldns_pkt* parsed = nullptr;
  Check(ldns_wire2pkt(&parsed, reply.data(), reply.size()) == LDNS_STATUS_OK);
  Check(ldns_pkt_qr(parsed));
  Check(bytes.size() >= 2 && ldns_pkt_id(parsed) == ((static_cast<uint8_t>(bytes[0]) << 8) |
                                                     static_cast<uint8_t>(bytes[1])));
  if (asked && asked->size() % 2 != 0) {
    Check(ldns_pkt_get_rcode(parsed) == LDNS_RCODE_NXDOMAIN && ldns_pkt_ancount(parsed) == 0);
  }
  ldns_pkt_free(parsed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  FuzzClientHello(bytes);
  FuzzHttpHead(bytes);
  FuzzDnsQuery(bytes);
  return 0;
}

// The proxy's parsers of the job's bytes: the TLS ClientHello's server name, the HTTP request
// head (CONNECT, absolute URI, Host), and the resolver's DNS answers.
#include <gtest/gtest.h>
#include <ldns/ldns.h>

#include <cstdlib>
#include <string>

#include "egress/dns_answer.h"
#include "egress/http_head.h"
#include "egress/sni.h"

namespace sandbox::egress {
namespace {

std::string Be(size_t value, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

// A TLS 1.2-style record holding a ClientHello with the extensions given.
std::string ClientHello(const std::string& extensions) {
  std::string body = Be(0x0303, 2) + std::string(32, 'r') + Be(0, 1) + Be(2, 2) + Be(0x1301, 2) +
                     Be(1, 1) + Be(0, 1) + Be(extensions.size(), 2) + extensions;
  std::string handshake = Be(1, 1) + Be(body.size(), 3) + body;
  return Be(22, 1) + Be(0x0301, 2) + Be(handshake.size(), 2) + handshake;
}

std::string SniExtension(const std::string& name) {
  std::string entry = Be(0, 1) + Be(name.size(), 2) + name;
  std::string list = Be(entry.size(), 2) + entry;
  return Be(0, 2) + Be(list.size(), 2) + list;
}

TEST(SniTest, FindsTheServerName) {
  std::string other = Be(10, 2) + Be(4, 2) + Be(2, 2) + Be(29, 2);  // supported_groups
  std::string hello = ClientHello(other + SniExtension("Registry.Test"));
  SniResult r = ParseClientHello(hello);
  EXPECT_EQ(r.status, SniResult::Status::kFound);
  EXPECT_EQ(r.name, "registry.test");
  // Every prefix asks for more; none reads past its end (ASan watches).
  for (size_t n = 1; n < hello.size(); ++n) {
    EXPECT_EQ(ParseClientHello(hello.substr(0, n)).status, SniResult::Status::kNeedMore) << n;
  }
}

TEST(SniTest, RefusesWhatIsNotAWellFormedClientHello) {
  EXPECT_EQ(ParseClientHello("GET / HTTP/1.1\r\n").status, SniResult::Status::kNotTls);
  EXPECT_EQ(ParseClientHello(std::string("\x16\x01", 2)).status, SniResult::Status::kNotTls);
  EXPECT_EQ(ParseClientHello(ClientHello("")).status, SniResult::Status::kNoName);
  std::string hello = ClientHello(SniExtension("a.test"));
  // A length that runs past its container.
  std::string broken = hello;
  broken[hello.size() - 8] = '\x7f';
  EXPECT_EQ(ParseClientHello(broken).status, SniResult::Status::kMalformed);
  // A name with a byte no DNS name has.
  EXPECT_EQ(ParseClientHello(ClientHello(SniExtension(std::string("a\0b", 3)))).status,
            SniResult::Status::kMalformed);
  // Not a ClientHello (a ServerHello).
  std::string server = hello;
  server[5] = 2;
  EXPECT_EQ(ParseClientHello(server).status, SniResult::Status::kMalformed);
  // Every single-byte change still parses to an answer without reading out of bounds.
  for (size_t i = 0; i < hello.size(); ++i) {
    std::string mutated = hello;
    mutated[i] = static_cast<char>(mutated[i] ^ 0xa5);
    (void)ParseClientHello(mutated);
  }
}

TEST(HttpHeadTest, ConnectLine) {
  HttpHead h =
      ParseHttpHead("CONNECT Registry.Test:443 HTTP/1.1\r\nHost: registry.test:443\r\n\r\n");
  ASSERT_EQ(h.status, HttpHead::Status::kComplete);
  EXPECT_EQ(h.method, "CONNECT");
  EXPECT_EQ(h.host, "registry.test");
  EXPECT_EQ(h.port, 443);
  EXPECT_EQ(h.head_size, 63u);
  HttpHead v6 = ParseHttpHead("CONNECT [2001:db8::1]:8443 HTTP/1.1\r\n\r\n");
  ASSERT_EQ(v6.status, HttpHead::Status::kComplete);
  EXPECT_EQ(v6.host, "2001:db8::1");
  EXPECT_EQ(v6.port, 8443);
  EXPECT_EQ(ParseHttpHead("CONNECT registry.test HTTP/1.1\r\n\r\n").status,
            HttpHead::Status::kMalformed);  // CONNECT needs a port
  EXPECT_EQ(ParseHttpHead("CONNECT a.test:443 HTTP/1.1\r\n").status, HttpHead::Status::kNeedMore);
  EXPECT_EQ(ParseHttpHead("CONNECT a.test:99999 HTTP/1.1\r\n\r\n").status,
            HttpHead::Status::kMalformed);
  EXPECT_EQ(ParseHttpHead("CONNECT a.test:443  HTTP/1.1\r\n\r\n").status,
            HttpHead::Status::kMalformed);
}

TEST(HttpHeadTest, AbsoluteUriAndHost) {
  HttpHead h = ParseHttpHead(
      "GET http://registry.test:8080/pkg?x=1 HTTP/1.1\r\nhost: Registry.test:8080\r\nA: b\r\n\r\n");
  ASSERT_EQ(h.status, HttpHead::Status::kComplete);
  EXPECT_TRUE(h.absolute);
  EXPECT_EQ(h.host, "registry.test");
  EXPECT_EQ(h.port, 8080);
  EXPECT_EQ(h.path, "/pkg?x=1");
  EXPECT_EQ(h.host_header, "registry.test");
  EXPECT_EQ(h.host_header_port, 8080);
  EXPECT_EQ(h.line_size, 48u);
  HttpHead origin = ParseHttpHead("GET / HTTP/1.0\nHost: a.test\n\n");
  ASSERT_EQ(origin.status, HttpHead::Status::kComplete);
  EXPECT_FALSE(origin.absolute);
  EXPECT_EQ(origin.host_header, "a.test");
  HttpHead twice = ParseHttpHead("GET / HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n");
  EXPECT_TRUE(twice.host_headers_differ);
  EXPECT_EQ(ParseHttpHead("\x16\x03\x01").status, HttpHead::Status::kNotHttp);
  EXPECT_EQ(ParseHttpHead("GET / HTTP/1.1\r\n folded\r\n\r\n").status,
            HttpHead::Status::kMalformed);
  EXPECT_EQ(ParseHttpHead("GET / HTTP/2\r\n\r\n").status, HttpHead::Status::kMalformed);
  EXPECT_EQ(ParseHttpHead("GET ftp://a.test/ HTTP/1.1\r\n\r\n").status,
            HttpHead::Status::kMalformed);
  EXPECT_EQ(ParseHttpHead("GET / HTTP/1.1\r\nX: " + std::string(kMaxHttpHead, 'a')).status,
            HttpHead::Status::kTooLarge);
}

// The origin gets one request in origin form, asked to close after it: a keep-alive client's
// next request comes on a new connection, checked like the first.
TEST(HttpHeadTest, OriginHeadAsksTheServerToCloseAfterTheRequest) {
  std::string bytes =
      "GET http://registry.test:8080/pkg HTTP/1.1\r\nHost: registry.test:8080\r\n"
      "Proxy-Connection: keep-alive\r\nconnection: Keep-Alive\r\nKeep-Alive: timeout=5\r\n"
      "Accept: */*\r\n\r\nbody";
  HttpHead h = ParseHttpHead(bytes);
  ASSERT_EQ(h.status, HttpHead::Status::kComplete);
  EXPECT_EQ(OriginHead(bytes, h),
            "GET /pkg HTTP/1.1\r\nHost: registry.test:8080\r\nAccept: */*\r\n"
            "Connection: close\r\n\r\n");
  std::string bare = "GET http://a.test/ HTTP/1.0\n\n";
  HttpHead b = ParseHttpHead(bare);
  ASSERT_EQ(b.status, HttpHead::Status::kComplete);
  EXPECT_EQ(OriginHead(bare, b), "GET / HTTP/1.0\r\nConnection: close\r\n\r\n");
}

// A query for `name` of `type`, as wire bytes.
std::vector<uint8_t> Query(const char* name, ldns_rr_type type) {
  ldns_pkt* query = nullptr;
  EXPECT_EQ(ldns_pkt_query_new_frm_str(&query, name, type, LDNS_RR_CLASS_IN, LDNS_RD),
            LDNS_STATUS_OK);
  ldns_pkt_set_id(query, 4242);
  uint8_t* wire = nullptr;
  size_t size = 0;
  EXPECT_EQ(ldns_pkt2wire(&wire, query, &size), LDNS_STATUS_OK);
  std::vector<uint8_t> out(wire, wire + size);
  std::free(wire);
  ldns_pkt_free(query);
  return out;
}

TEST(DnsAnswerTest, AllowedNamesGetSyntheticAddressesOthersNxdomain) {
  std::vector<std::string> asked;
  NameDecision decide = [&asked](const std::string& name) -> std::optional<uint32_t> {
    asked.push_back(name);
    if (name == "registry.test") return 7;
    return std::nullopt;
  };
  for (ldns_rr_type type : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA}) {
    std::vector<uint8_t> q = Query("Registry.Test.", type);
    std::vector<uint8_t> bytes = AnswerQuery(q.data(), q.size(), decide);
    ldns_pkt* reply = nullptr;
    ASSERT_EQ(ldns_wire2pkt(&reply, bytes.data(), bytes.size()), LDNS_STATUS_OK);
    EXPECT_EQ(ldns_pkt_id(reply), 4242);
    EXPECT_TRUE(ldns_pkt_qr(reply));
    EXPECT_EQ(ldns_pkt_get_rcode(reply), LDNS_RCODE_NOERROR);
    ASSERT_EQ(ldns_pkt_ancount(reply), 1);
    const ldns_rdf* rdf = ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(reply), 0), 0);
    char* text = ldns_rdf2str(rdf);
    EXPECT_STREQ(text, type == LDNS_RR_TYPE_A ? "198.18.0.7" : "fd5b:5b5b::7");
    std::free(text);
    ldns_pkt_free(reply);
  }
  std::vector<uint8_t> q = Query("evil.test.", LDNS_RR_TYPE_A);
  std::vector<uint8_t> bytes = AnswerQuery(q.data(), q.size(), decide);
  ldns_pkt* reply = nullptr;
  ASSERT_EQ(ldns_wire2pkt(&reply, bytes.data(), bytes.size()), LDNS_STATUS_OK);
  EXPECT_EQ(ldns_pkt_get_rcode(reply), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(ldns_pkt_ancount(reply), 0);
  ldns_pkt_free(reply);
  EXPECT_EQ(asked, (std::vector<std::string>{"registry.test", "registry.test", "evil.test"}));
  // Garbage gets no answer at all.
  uint8_t junk[5] = {1, 2, 3, 4, 5};
  EXPECT_TRUE(AnswerQuery(junk, sizeof(junk), decide).empty());
}

// localhost is the job's own loopback whatever the list says, and is not asked about; a name
// that merely ends in "localhost" is an ordinary name.
TEST(DnsAnswerTest, LocalhostIsTheLoopbackWithoutADecision) {
  std::vector<std::string> asked;
  NameDecision decide = [&asked](const std::string& name) -> std::optional<uint32_t> {
    asked.push_back(name);
    return std::nullopt;
  };
  for (const char* name : {"localhost.", "LocalHost.", "db.localhost."}) {
    for (ldns_rr_type type : {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA}) {
      SCOPED_TRACE(name);
      std::vector<uint8_t> q = Query(name, type);
      std::vector<uint8_t> bytes = AnswerQuery(q.data(), q.size(), decide);
      ldns_pkt* reply = nullptr;
      ASSERT_EQ(ldns_wire2pkt(&reply, bytes.data(), bytes.size()), LDNS_STATUS_OK);
      EXPECT_EQ(ldns_pkt_get_rcode(reply), LDNS_RCODE_NOERROR);
      ASSERT_EQ(ldns_pkt_ancount(reply), 1);
      char* text = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(reply), 0), 0));
      EXPECT_STREQ(text, type == LDNS_RR_TYPE_A ? "127.0.0.1" : "::1");
      std::free(text);
      ldns_pkt_free(reply);
    }
  }
  EXPECT_TRUE(asked.empty());
  std::vector<uint8_t> q = Query("evillocalhost.", LDNS_RR_TYPE_A);
  std::vector<uint8_t> bytes = AnswerQuery(q.data(), q.size(), decide);
  ldns_pkt* reply = nullptr;
  ASSERT_EQ(ldns_wire2pkt(&reply, bytes.data(), bytes.size()), LDNS_STATUS_OK);
  EXPECT_EQ(ldns_pkt_get_rcode(reply), LDNS_RCODE_NXDOMAIN);
  ldns_pkt_free(reply);
  EXPECT_EQ(asked, std::vector<std::string>{"evillocalhost"});
}

TEST(DnsAnswerTest, SyntheticNumbersRoundTrip) {
  uint8_t v4[4];
  SyntheticV4(300, v4);
  EXPECT_EQ(SyntheticIndexV4(v4), 300u);
  uint8_t v6[16];
  SyntheticV6(300, v6);
  EXPECT_EQ(SyntheticIndexV6(v6), 300u);
  const uint8_t own[4] = {198, 18, 0, 1};  // the sandbox's own, on lo
  EXPECT_FALSE(SyntheticIndexV4(own));
  const uint8_t outside[4] = {198, 20, 0, 1};
  EXPECT_FALSE(SyntheticIndexV4(outside));
}

}  // namespace
}  // namespace sandbox::egress

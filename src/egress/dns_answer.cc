#include "egress/dns_answer.h"

#include <ldns/ldns.h>

#include <cstdlib>
#include <memory>
#include <string_view>

#include "egress/rules.h"

namespace sandbox::egress {
namespace {

constexpr uint32_t kTtlSeconds = 60;

struct PacketFree {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
using Packet = std::unique_ptr<ldns_pkt, PacketFree>;

}  // namespace

std::vector<uint8_t> AnswerQuery(const uint8_t* bytes, size_t size, const NameDecision& decide) {
  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, bytes, size) != LDNS_STATUS_OK) return {};
  Packet query(raw);
  if (ldns_pkt_qr(query.get())) return {};  // a reply, not a query

  Packet reply(ldns_pkt_new());
  if (!reply) return {};
  ldns_pkt_set_id(reply.get(), ldns_pkt_id(query.get()));
  ldns_pkt_set_qr(reply.get(), true);
  ldns_pkt_set_opcode(reply.get(), ldns_pkt_get_opcode(query.get()));
  ldns_pkt_set_rd(reply.get(), ldns_pkt_rd(query.get()));
  ldns_pkt_set_ra(reply.get(), true);
  ldns_pkt_set_aa(reply.get(), true);

  const ldns_rr_list* questions = ldns_pkt_question(query.get());
  if (ldns_pkt_get_opcode(query.get()) != LDNS_PACKET_QUERY || questions == nullptr ||
      ldns_rr_list_rr_count(questions) != 1) {
    ldns_pkt_set_rcode(reply.get(), LDNS_RCODE_FORMERR);
  } else {
    const ldns_rr* question = ldns_rr_list_rr(questions, 0);
    ldns_pkt_push_rr(reply.get(), LDNS_SECTION_QUESTION, ldns_rr_clone(question));
    std::string name;
    if (char* text = ldns_rdf2str(ldns_rr_owner(question)); text != nullptr) {
      name = CanonicalName(text);
      std::free(text);
    }
    std::optional<uint32_t> index;
    // The job's own loopback, as the /etc/hosts of every profile says; no decision to make.
    const bool loopback = IsLocalhost(name);
    // Address literals and names that are not DNS names are never looked up.
    if (!loopback && !name.empty() && CanonicalAddress(name).empty()) index = decide(name);
    ldns_rr_type type = ldns_rr_get_type(question);
    if (!index && !loopback) {
      ldns_pkt_set_rcode(reply.get(), LDNS_RCODE_NXDOMAIN);
    } else if (ldns_rr_get_class(question) == LDNS_RR_CLASS_IN &&
               (type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA)) {
      bool v4 = type == LDNS_RR_TYPE_A;
      uint8_t address[16] = {};
      if (loopback) {
        if (v4) {
          address[0] = 127;
          address[3] = 1;
        } else {
          address[15] = 1;
        }
      } else if (v4) {
        SyntheticV4(*index, address);
      } else {
        SyntheticV6(*index, address);
      }
      ldns_rr* answer = ldns_rr_new();
      ldns_rr_set_owner(answer, ldns_rdf_clone(ldns_rr_owner(question)));
      ldns_rr_set_type(answer, type);
      ldns_rr_set_class(answer, LDNS_RR_CLASS_IN);
      ldns_rr_set_ttl(answer, kTtlSeconds);
      ldns_rr_push_rdf(answer, ldns_rdf_new_frm_data(v4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
                                                     v4 ? 4 : 16, address));
      ldns_pkt_push_rr(reply.get(), LDNS_SECTION_ANSWER, answer);
      ldns_pkt_set_rcode(reply.get(), LDNS_RCODE_NOERROR);
    } else {
      // An allowed name asked for another type (HTTPS, MX...): it exists, with no such data.
      ldns_pkt_set_rcode(reply.get(), LDNS_RCODE_NOERROR);
    }
  }
  uint8_t* wire = nullptr;
  size_t wire_size = 0;
  if (ldns_pkt2wire(&wire, reply.get(), &wire_size) != LDNS_STATUS_OK) return {};
  std::vector<uint8_t> out(wire, wire + wire_size);
  std::free(wire);
  return out;
}

}  // namespace sandbox::egress

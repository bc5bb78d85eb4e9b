// The server name a TLS client asks for: the SNI extension of the ClientHello the job sends
// first (RFC 8446 4.1.2, RFC 6066 3). Bounded: it reads only the bytes given, never past a
// length field's end, and takes the ClientHello from the first record only.
#ifndef SANDBOX_EGRESS_SNI_H_
#define SANDBOX_EGRESS_SNI_H_

#include <string>
#include <string_view>

namespace sandbox::egress {

struct SniResult {
  enum class Status {
    kNeedMore,   // a ClientHello so far: more bytes are needed
    kNotTls,     // the first bytes are not a TLS handshake record
    kFound,      // `name` is the server name asked for (lower-case)
    kNoName,     // a whole ClientHello without a server name
    kMalformed,  // a TLS record that is not a well-formed ClientHello in one record
  };
  Status status = Status::kNeedMore;
  std::string name;
};

/// Looks at the first bytes a client sent.
SniResult ParseClientHello(std::string_view bytes);

}  // namespace sandbox::egress

#endif  // SANDBOX_EGRESS_SNI_H_

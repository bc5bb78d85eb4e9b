// The head of the first HTTP/1 request on a connection to the proxy: its request line and its
// Host header, enough to decide where it may go (an explicit proxy's CONNECT host:port or
// absolute-URI request, or a transparent connection's plain HTTP). Bounded: at most
// kMaxHttpHead bytes are looked at.
#ifndef SANDBOX_EGRESS_HTTP_HEAD_H_
#define SANDBOX_EGRESS_HTTP_HEAD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sandbox::egress {

inline constexpr size_t kMaxHttpHead = 16384;

struct HttpHead {
  enum class Status {
    kNeedMore,   // no blank line yet (and fewer than kMaxHttpHead bytes)
    kNotHttp,    // the first bytes are not an HTTP/1 request line
    kTooLarge,   // no end of the head within kMaxHttpHead bytes
    kMalformed,  // a request line or header that cannot be read
    kComplete,
  };
  Status status = Status::kNeedMore;
  std::string method;  // "GET", "CONNECT"
  // CONNECT host:port or an absolute URI (http://host[:port]/path): its host (lower-case,
  // without brackets) and port; empty host for an origin-form target ("/path").
  std::string host;
  uint16_t port = 0;
  bool absolute = false;    // an absolute URI: the request must be rewritten for the origin
  std::string path;         // the origin-form target: "/path?query" (absolute URIs, origin form)
  std::string version;      // "HTTP/1.1"
  std::string host_header;  // the Host header's host (lower-case, no port, no brackets)
  uint16_t host_header_port = 0;     // its port, 0 if none was written
  bool host_headers_differ = false;  // two Host headers that do not agree: refused
  size_t head_size = 0;              // bytes up to and including the blank line
  size_t line_size = 0;              // bytes of the request line, with its line end
};

/// Looks at the first bytes a client sent.
HttpHead ParseHttpHead(std::string_view bytes);

/// The head an origin gets for an absolute-URI request (`head` is ParseHttpHead(bytes),
/// complete and absolute): the request line in origin form, the headers but the hop-by-hop
/// Connection, Proxy-Connection and Keep-Alive, then `Connection: close`. The proxy relays a
/// connection unparsed once its first request is checked, so the server must close after
/// that request: a client's next one (for another host, maybe) comes on a new connection and
/// is checked in turn. Bytes after the head (a body) are not included.
std::string OriginHead(std::string_view bytes, const HttpHead& head);

/// "host:port" or "[v6]:port" (CONNECT's authority, a Host header): host lower-case without
/// brackets, port 0 when none. False if it is not one.
bool SplitAuthority(std::string_view authority, std::string* host, uint16_t* port);

}  // namespace sandbox::egress

#endif  // SANDBOX_EGRESS_HTTP_HEAD_H_

#include "egress/http_head.h"

#include <cctype>
#include <charconv>

namespace sandbox::egress {
namespace {

bool IsToken(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return std::isalnum(u) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

HttpHead WithStatus(HttpHead::Status status) {
  HttpHead head;
  head.status = status;
  return head;
}

}  // namespace

bool SplitAuthority(std::string_view authority, std::string* host, uint16_t* port) {
  *port = 0;
  std::string_view name = authority;
  std::string_view number;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    name = authority.substr(1, close - 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      number = rest.substr(1);
      if (number.empty()) return false;
    }
  } else {
    size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      if (authority.find(':') != colon) return false;  // a bare IPv6 address needs brackets
      name = authority.substr(0, colon);
      number = authority.substr(colon + 1);
      if (number.empty()) return false;
    }
  }
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '/' || c == '@' || c == '?' || c == '#') return false;
  }
  if (!number.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || end != number.data() + number.size() || value == 0 || value > 65535) {
      return false;
    }
    *port = static_cast<uint16_t>(value);
  }
  *host = Lower(name);
  return true;
}

HttpHead ParseHttpHead(std::string_view bytes) {
  if (bytes.size() > kMaxHttpHead) bytes = bytes.substr(0, kMaxHttpHead);
  // The method: a token followed by a space; anything else is not HTTP.
  size_t i = 0;
  while (i < bytes.size() && i < 32 && IsToken(bytes[i])) ++i;
  if (i < bytes.size() && (bytes[i] != ' ' || i == 0))
    return WithStatus(HttpHead::Status::kNotHttp);
  if (i == 32) return WithStatus(HttpHead::Status::kNotHttp);
  size_t end = bytes.find("\r\n\r\n");
  size_t end_size = 4;
  if (end == std::string_view::npos) {
    end = bytes.find("\n\n");
    end_size = 2;
  }
  if (end == std::string_view::npos) {
    return WithStatus(bytes.size() >= kMaxHttpHead ? HttpHead::Status::kTooLarge
                                                   : HttpHead::Status::kNeedMore);
  }
  HttpHead head;
  head.head_size = end + end_size;
  std::string_view text = bytes.substr(0, head.head_size);
  size_t line_end = text.find('\n');
  std::string_view line = text.substr(0, line_end);
  head.line_size = line_end + 1;
  if (line.ends_with('\r')) line.remove_suffix(1);
  size_t first = line.find(' ');
  size_t second = line.find(' ', first + 1);
  if (second == std::string_view::npos || line.find(' ', second + 1) != std::string_view::npos) {
    return WithStatus(HttpHead::Status::kMalformed);
  }
  head.method = std::string(line.substr(0, first));
  std::string_view target = line.substr(first + 1, second - first - 1);
  std::string_view version = line.substr(second + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0")
    return WithStatus(HttpHead::Status::kMalformed);
  head.version = std::string(version);
  if (target.empty()) return WithStatus(HttpHead::Status::kMalformed);
  if (head.method == "CONNECT") {
    if (!SplitAuthority(target, &head.host, &head.port) || head.port == 0) {
      return WithStatus(HttpHead::Status::kMalformed);
    }
  } else if (target[0] == '/') {
    head.path = std::string(target);
  } else {
    constexpr std::string_view kHttp = "http://";
    if (target.size() <= kHttp.size() || Lower(target.substr(0, kHttp.size())) != kHttp) {
      return WithStatus(HttpHead::Status::kMalformed);
    }
    std::string_view rest = target.substr(kHttp.size());
    size_t slash = rest.find_first_of("/?");
    std::string_view authority = rest.substr(0, slash);
    if (!SplitAuthority(authority, &head.host, &head.port)) {
      return WithStatus(HttpHead::Status::kMalformed);
    }
    if (head.port == 0) head.port = 80;
    head.absolute = true;
    head.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (head.path[0] == '?') head.path = "/" + head.path;
  }
  // Headers: only Host matters; it must be there once (HTTP/1.1), and agree if repeated.
  bool seen_host = false;
  std::string_view headers = text.substr(head.line_size);
  while (!headers.empty()) {
    size_t next = headers.find('\n');
    std::string_view header = headers.substr(0, next);
    headers = next == std::string_view::npos ? std::string_view() : headers.substr(next + 1);
    if (header.ends_with('\r')) header.remove_suffix(1);
    if (header.empty()) break;
    // Folded header lines (obsolete) and lines without a colon are refused: a parser behind
    // the proxy might read them otherwise.
    size_t colon = header.find(':');
    if (header[0] == ' ' || header[0] == '\t' || colon == std::string_view::npos || colon == 0) {
      return WithStatus(HttpHead::Status::kMalformed);
    }
    for (size_t k = 0; k < colon; ++k) {
      if (!IsToken(header[k])) return WithStatus(HttpHead::Status::kMalformed);
    }
    if (Lower(header.substr(0, colon)) != "host") continue;
    std::string host;
    uint16_t port = 0;
    if (!SplitAuthority(Trim(header.substr(colon + 1)), &host, &port)) {
      return WithStatus(HttpHead::Status::kMalformed);
    }
    if (seen_host && (host != head.host_header || port != head.host_header_port)) {
      head.host_headers_differ = true;
    }
    seen_host = true;
    head.host_header = host;
    head.host_header_port = port;
  }
  head.status = HttpHead::Status::kComplete;
  return head;
}

std::string OriginHead(std::string_view bytes, const HttpHead& head) {
  std::string out = head.method + " " + head.path + " " + head.version + "\r\n";
  std::string_view headers = bytes.substr(head.line_size, head.head_size - head.line_size);
  while (!headers.empty()) {
    size_t next = headers.find('\n');
    std::string_view line = headers.substr(0, next + 1);  // with its line end
    headers = next == std::string_view::npos ? std::string_view() : headers.substr(next + 1);
    std::string_view header = line;
    while (!header.empty() && (header.back() == '\n' || header.back() == '\r')) {
      header.remove_suffix(1);
    }
    if (header.empty()) break;  // the blank line: the end of the head
    std::string name = Lower(header.substr(0, header.find(':')));
    if (name == "connection" || name == "proxy-connection" || name == "keep-alive") continue;
    out.append(line);
  }
  out.append("Connection: close\r\n\r\n");
  return out;
}

}  // namespace sandbox::egress

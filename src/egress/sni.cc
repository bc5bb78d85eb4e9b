#include "egress/sni.h"

#include <cctype>
#include <cstdint>

namespace sandbox::egress {
namespace {

constexpr uint8_t kHandshakeRecord = 22;
constexpr uint8_t kClientHello = 1;
constexpr uint16_t kServerNameExtension = 0;
constexpr uint8_t kHostName = 0;
constexpr size_t kRecordHeader = 5;
constexpr size_t kMaxRecord = 16384 + 256;  // TLSPlaintext.length may be at most 2^14 (+ slack)

// Reads big-endian fields from a byte range, failing (ok() false) instead of reading past it.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  size_t left() const { return bytes_.size() - at_; }
  uint32_t Number(size_t size) {
    if (!ok_ || left() < size) {
      ok_ = false;
      return 0;
    }
    uint32_t value = 0;
    for (size_t i = 0; i < size; ++i) value = (value << 8) | static_cast<uint8_t>(bytes_[at_++]);
    return value;
  }
  std::string_view Take(size_t size) {
    if (!ok_ || left() < size) {
      ok_ = false;
      return {};
    }
    std::string_view part = bytes_.substr(at_, size);
    at_ += size;
    return part;
  }
  // A vector with a length prefix of `size` bytes.
  std::string_view Vector(size_t size) { return Take(Number(size)); }

 private:
  std::string_view bytes_;
  size_t at_ = 0;
  bool ok_ = true;
};

SniResult Malformed() { return {SniResult::Status::kMalformed, ""}; }

}  // namespace

SniResult ParseClientHello(std::string_view bytes) {
  if (bytes.empty()) return {};
  if (static_cast<uint8_t>(bytes[0]) != kHandshakeRecord) return {SniResult::Status::kNotTls, ""};
  if (bytes.size() < kRecordHeader) {
    // The legacy version's major byte is 3 in every TLS and SSL 3 record.
    if (bytes.size() >= 2 && bytes[1] != 3) return {SniResult::Status::kNotTls, ""};
    return {};
  }
  Reader record(bytes);
  record.Number(1);
  if (record.Number(1) != 3) return {SniResult::Status::kNotTls, ""};
  record.Number(1);
  size_t length = record.Number(2);
  if (length == 0 || length > kMaxRecord) return Malformed();
  if (record.left() < length) return {};
  Reader hello(record.Take(length));
  if (hello.Number(1) != kClientHello) return Malformed();
  size_t body_length = hello.Number(3);
  // The ClientHello must lie in this record (clients send it in one; see the header).
  if (body_length > hello.left()) return Malformed();
  Reader body(hello.Take(body_length));
  body.Number(2);  // legacy_version
  body.Take(32);   // random
  body.Vector(1);  // legacy_session_id
  body.Vector(2);  // cipher_suites
  body.Vector(1);  // legacy_compression_methods
  if (!body.ok()) return Malformed();
  if (body.left() == 0) return {SniResult::Status::kNoName, ""};  // no extensions at all
  Reader extensions(body.Vector(2));
  if (!body.ok()) return Malformed();
  while (extensions.ok() && extensions.left() > 0) {
    uint32_t type = extensions.Number(2);
    std::string_view data = extensions.Vector(2);
    if (!extensions.ok()) return Malformed();
    if (type != kServerNameExtension) continue;
    Reader list(data);
    Reader names(list.Vector(2));
    while (names.ok() && names.left() > 0) {
      uint32_t name_type = names.Number(1);
      std::string_view name = names.Vector(2);
      if (!names.ok()) return Malformed();
      if (name_type != kHostName) continue;
      if (name.empty() || name.size() > 253) return Malformed();
      SniResult found{SniResult::Status::kFound, ""};
      for (char c : name) {
        unsigned char u = static_cast<unsigned char>(c);
        // RFC 6066: a DNS host name in ASCII; anything else cannot match an allowed name.
        if (u <= 0x20 || u >= 0x7f) return Malformed();
        found.name += static_cast<char>(std::tolower(u));
      }
      return found;
    }
    return Malformed();
  }
  if (!extensions.ok()) return Malformed();
  return {SniResult::Status::kNoName, ""};
}

}  // namespace sandbox::egress

// SHA-256 (FIPS 180-4), for the report's profile hash: small, dependency-free, not for secrets
// (no constant-time guarantees needed for hashing public files).
#ifndef SANDBOX_REPORT_SHA256_H_
#define SANDBOX_REPORT_SHA256_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace sandbox::report {

class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  /// The digest as 64 lowercase hex digits. Call once, after the last Update.
  std::string HexDigest();

 private:
  void Block(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t length_ = 0;  // bytes
};

/// Sha256 of `data` in one call, as hex.
std::string Sha256Hex(std::string_view data);

}  // namespace sandbox::report

#endif  // SANDBOX_REPORT_SHA256_H_

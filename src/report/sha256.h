// SHA-256 through nettle (Debian's nettle-dev): the report's profile hash and the workspace
// change list's file hashes. Nettle picks the CPU's SHA extensions at run time.
#ifndef SANDBOX_REPORT_SHA256_H_
#define SANDBOX_REPORT_SHA256_H_

#include <nettle/sha2.h>

#include <string>
#include <string_view>

namespace sandbox::report {

class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  void Update(const void* data, size_t size);
  /// The digest as 64 lowercase hex digits. Call once, after the last Update.
  std::string HexDigest();

 private:
  sha256_ctx context_;
};

/// Sha256 of `data` in one call, as hex.
std::string Sha256Hex(std::string_view data);

}  // namespace sandbox::report

#endif  // SANDBOX_REPORT_SHA256_H_

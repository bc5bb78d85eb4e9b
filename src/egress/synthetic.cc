// The synthetic addresses (control.h), shared by the resolver and the supervisor's fence.
#include <cstring>

#include "egress/control.h"
#include "egress/dns_answer.h"

namespace sandbox::egress {

void SyntheticV4(uint32_t index, uint8_t out[4]) {
  uint32_t value = kSyntheticV4Base + index;
  for (int i = 3; i >= 0; --i) {
    out[i] = static_cast<uint8_t>(value & 0xff);
    value >>= 8;
  }
}

void SyntheticV6(uint32_t index, uint8_t out[16]) {
  std::memcpy(out, kSyntheticV6Prefix, sizeof(kSyntheticV6Prefix));
  for (int i = 15; i >= 12; --i) {
    out[i] = static_cast<uint8_t>(index & 0xff);
    index >>= 8;
  }
}

std::optional<uint32_t> SyntheticIndexV4(const uint8_t address[4]) {
  uint32_t value = (uint32_t{address[0]} << 24) | (uint32_t{address[1]} << 16) |
                   (uint32_t{address[2]} << 8) | address[3];
  if (value < kSyntheticV4Base + kFirstSyntheticIndex ||
      value >= kSyntheticV4Base + kSyntheticV4Count) {
    return std::nullopt;
  }
  return value - kSyntheticV4Base;
}

std::optional<uint32_t> SyntheticIndexV6(const uint8_t address[16]) {
  if (std::memcmp(address, kSyntheticV6Prefix, sizeof(kSyntheticV6Prefix)) != 0) {
    return std::nullopt;
  }
  uint32_t value = (uint32_t{address[12]} << 24) | (uint32_t{address[13]} << 16) |
                   (uint32_t{address[14]} << 8) | address[15];
  if (value < kFirstSyntheticIndex || value >= kSyntheticV4Count) return std::nullopt;
  return value;
}

}  // namespace sandbox::egress

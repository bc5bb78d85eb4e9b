#include "common/units.h"

#include <limits>
#include <string>

namespace sandbox {
namespace {

// Splits "123abc" into 123 and "abc"; fails when there are no digits or on overflow.
bool SplitNumber(std::string_view text, uint64_t* number, std::string_view* suffix) {
  size_t i = 0;
  uint64_t value = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return false;
    value = value * 10 + digit;
  }
  if (i == 0) return false;
  *number = value;
  *suffix = text.substr(i);
  return true;
}

bool MultiplyChecked(uint64_t value, uint64_t factor, uint64_t* out) {
  if (value != 0 && factor > std::numeric_limits<uint64_t>::max() / value) return false;
  *out = value * factor;
  return true;
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  uint64_t number = 0;
  std::string_view suffix;
  auto bad = [&] {
    Error e = MakeError("invalid duration \"" + std::string(text) + "\"");
    e.hint = "use a number with ms, s, m, h or d, e.g. 30s or 5m";
    return e;
  };
  if (!SplitNumber(text, &number, &suffix)) return bad();
  uint64_t factor = 0;
  if (suffix.empty() || suffix == "s") {
    factor = 1000;
  } else if (suffix == "ms") {
    factor = 1;
  } else if (suffix == "m") {
    factor = 60'000;
  } else if (suffix == "h") {
    factor = 3'600'000;
  } else if (suffix == "d") {
    factor = 86'400'000;
  } else {
    return bad();
  }
  uint64_t ms = 0;
  if (!MultiplyChecked(number, factor, &ms) ||
      ms > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return bad();
  }
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

Result<uint64_t> ParseSize(std::string_view text) {
  uint64_t number = 0;
  std::string_view suffix;
  auto bad = [&] {
    Error e = MakeError("invalid size \"" + std::string(text) + "\"");
    e.hint = "use a number of bytes with an optional K, M, G or T suffix, e.g. 64M";
    return e;
  };
  if (!SplitNumber(text, &number, &suffix)) return bad();
  uint64_t factor = 1;
  if (suffix.empty()) {
    factor = 1;
  } else if (suffix == "K" || suffix == "k") {
    factor = 1ULL << 10;
  } else if (suffix == "M" || suffix == "m") {
    factor = 1ULL << 20;
  } else if (suffix == "G" || suffix == "g") {
    factor = 1ULL << 30;
  } else if (suffix == "T" || suffix == "t") {
    factor = 1ULL << 40;
  } else {
    return bad();
  }
  uint64_t bytes = 0;
  if (!MultiplyChecked(number, factor, &bytes)) return bad();
  return bytes;
}

Result<unsigned> ParseMode(std::string_view text) {
  unsigned value = 0;
  auto bad = [&] {
    Error e = MakeError("invalid mode \"" + std::string(text) + "\"");
    e.hint = "use octal digits, e.g. 0755 or 1777";
    return e;
  };
  if (text.empty() || text.size() > 5) return bad();
  for (char c : text) {
    if (c < '0' || c > '7') return bad();
    value = value * 8 + static_cast<unsigned>(c - '0');
  }
  if (value > 07777) return bad();
  return value;
}

}  // namespace sandbox

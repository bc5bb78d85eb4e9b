#include "common/rlimits.h"

#include <string>

#include "common/units.h"

namespace sandbox {
namespace {

constexpr RlimitName kLimits[] = {
    {"nofile", RLIMIT_NOFILE, RlimitName::Unit::kCount},
    {"nproc", RLIMIT_NPROC, RlimitName::Unit::kCount},
    {"fsize", RLIMIT_FSIZE, RlimitName::Unit::kBytes},
    {"cpu", RLIMIT_CPU, RlimitName::Unit::kSeconds},
    {"core", RLIMIT_CORE, RlimitName::Unit::kBytes},
    {"stack", RLIMIT_STACK, RlimitName::Unit::kBytes},
    {"as", RLIMIT_AS, RlimitName::Unit::kBytes},
};

}  // namespace

const RlimitName* FindRlimit(std::string_view name) {
  for (const RlimitName& limit : kLimits) {
    if (name == limit.name) return &limit;
  }
  return nullptr;
}

const char* RlimitNames() { return "nofile, nproc, fsize, cpu, core, stack, as"; }

Result<uint64_t> ParseRlimitValue(const RlimitName& limit, std::string_view text) {
  if (text == "unlimited") return static_cast<uint64_t>(RLIM_INFINITY);
  switch (limit.unit) {
    case RlimitName::Unit::kBytes:
      return ParseSize(text);
    case RlimitName::Unit::kSeconds: {
      auto d = ParseDuration(text);
      if (!d) return d.error();
      return static_cast<uint64_t>((d->count() + 999) / 1000);
    }
    case RlimitName::Unit::kCount:
      break;
  }
  uint64_t value = 0;
  if (text.empty()) return MakeError("empty value for limit " + std::string(limit.name));
  for (char c : text) {
    if (c < '0' || c > '9' || value > (UINT64_MAX - 9) / 10) {
      Error e = MakeError("invalid value \"" + std::string(text) + "\" for limit " + limit.name);
      e.hint = "use a whole number or \"unlimited\"";
      return e;
    }
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

}  // namespace sandbox

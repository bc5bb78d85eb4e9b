#include "common/result.h"

#include <cstring>

namespace sandbox {

std::string SourceLocation::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ':' + std::to_string(line);
    if (column > 0) out += ':' + std::to_string(column);
  }
  return out;
}

std::string Error::ToString() const {
  if (where && where->line > 0) {
    std::string out = where->ToString() + ": " + message;
    if (errno_value != 0) out += std::string(": ") + std::strerror(errno_value);
    if (!hint.empty()) out += "; " + hint;
    if (!excerpt.empty()) {
      out += "\n" + excerpt + "\n";
      out += std::string(where->column > 1 ? static_cast<size_t>(where->column - 1) : 0, ' ');
      out += "^";
    }
    return out;
  }
  std::string out = message;
  if (errno_value != 0) {
    out += ": ";
    out += std::strerror(errno_value);
  }
  if (where && !where->file.empty()) out += " (" + where->ToString() + ")";
  if (!hint.empty()) out += "; " + hint;
  return out;
}

Error MakeError(std::string message, int errno_value) {
  Error e;
  e.message = std::move(message);
  e.errno_value = errno_value;
  return e;
}

}  // namespace sandbox

// The doctor's bwrap drop-in check: which `bwrap` PATH finds, and whether every client reaches
// bwrap mode through it. A symlink named bwrap does not suit clients that resolve the path
// before exec (sandbox-runtime does): they start `sandbox` under its own name.
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "app/doctor.h"
#include "common/canonical_path.h"

namespace sandbox::app::doctor {
namespace {

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa;
  struct stat sb;
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string RealPath(const std::string& path) {
  std::string real = CanonicalPath(path);
  return real.empty() ? path : real;
}

}  // namespace

CheckResult CheckBwrapDropIn(std::string_view path, const std::string& own,
                             const std::string& dropin) {
  CheckResult result;
  result.name = "bwrap drop-in";
  result.ok = true;
  std::string where = SameFile(dropin, own) ? dropin : "a hard link or copy of sandbox named bwrap";
  std::string found;
  size_t start = 0;
  while (start <= path.size() && found.empty()) {
    size_t end = path.find(':', start);
    if (end == std::string_view::npos) end = path.size();
    std::string dir(path.substr(start, end - start));
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/bwrap";
    if (::access(candidate.c_str(), X_OK) == 0) found = candidate;
    start = end + 1;
  }
  if (found.empty()) {
    result.detail = "no bwrap on PATH; sandbox's drop-in is " + where;
    return result;
  }
  if (!SameFile(found, own)) {
    result.detail = found + " is not sandbox; sandbox's drop-in is " + where;
    return result;
  }
  std::string real = RealPath(found);
  if (BaseName(real) == "bwrap") {
    result.detail = found + " is sandbox's drop-in, in bwrap mode for every client";
    return result;
  }
  result.ok = false;
  result.detail = found + " is a symlink to " + real +
                  ": clients that resolve it before exec (sandbox-runtime) start sandbox under "
                  "its own name and fail on bubblewrap's options";
  result.fix = "use the hard link instead: ln -f " + real + " " + found;
  return result;
}

}  // namespace sandbox::app::doctor

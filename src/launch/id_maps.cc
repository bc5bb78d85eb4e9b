#include "launch/id_maps.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace sandbox::launch {
namespace {

Result<void> WriteProcFile(pid_t pid, const char* name, const std::string& text) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return MakeError("cannot open " + path, errno);
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    return MakeError("cannot write " + path, n < 0 ? err : EIO);
  }
  return {};
}

}  // namespace

Result<void> WriteIdMaps(pid_t pid, const policy::Identity& id) {
  // "deny" must precede gid_map for an unprivileged writer; it also keeps the job from
  // dropping supplementary groups the caller holds to bypass group-deny permissions.
  if (auto r = WriteProcFile(pid, "setgroups", "deny"); !r) return r;
  if (auto r =
          WriteProcFile(pid, "uid_map",
                        std::to_string(id.inner_uid) + " " + std::to_string(id.outer_uid) + " 1\n");
      !r) {
    return r;
  }
  return WriteProcFile(pid, "gid_map",
                       std::to_string(id.inner_gid) + " " + std::to_string(id.outer_gid) + " 1\n");
}

}  // namespace sandbox::launch

#include "common/read_text.h"

#include <fcntl.h>
#include <unistd.h>

namespace sandbox {

std::string ReadTextFile(const char* path) {
  std::string text;
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return text;
}

}  // namespace sandbox

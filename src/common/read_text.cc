#include "common/read_text.h"

#include <fcntl.h>
#include <unistd.h>

namespace sandbox {

std::string ReadAll(int fd) {
  std::string text;
  char buf[8192];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  return text;
}

std::string ReadTextFile(const char* path) {
  int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string text = ReadAll(fd);
  ::close(fd);
  return text;
}

}  // namespace sandbox

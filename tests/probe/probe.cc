// probe: a small, statically linked multi-call program that integration tests run inside the
// sandbox (and on the host for setup). Inside the sandbox almost nothing of the host exists (no
// shared libraries, no /etc, maybe no /proc), so this uses only raw syscalls and libc functions
// that work in a static glibc binary without NSS.
//
// Usage: probe COMMAND [ARGS...]
//
// Output is line-oriented and stable because tests parse it. A failing syscall prints
// "error <ERRNO_NAME> <strerror text>" on stdout and exits 1 (unless a command says otherwise).
// Usage errors go to stderr with exit status 2.

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFail = 1;
constexpr int kExitUsage = 2;

using Args = std::vector<std::string_view>;

// ---------------------------------------------------------------------------------------------
// Output helpers. Everything goes straight to fd 1 with write(2): no stdio buffers that could be
// duplicated by fork() or lost when a command dies of a signal, so "printed" means "flushed".

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // Nowhere left to report the failure.
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void Print(std::string_view data) { WriteAll(STDOUT_FILENO, data); }

void PrintLine(std::string_view line) {
  std::string buf(line);
  buf += '\n';
  Print(buf);
}

// Returns the symbolic name of a known errno value, or nullptr.
const char* KnownErrnoName(int err) {
  switch (err) {
#define PROBE_ERRNO(e) \
  case e:              \
    return #e;
    PROBE_ERRNO(EPERM)
    PROBE_ERRNO(ENOENT)
    PROBE_ERRNO(ESRCH)
    PROBE_ERRNO(EINTR)
    PROBE_ERRNO(EIO)
    PROBE_ERRNO(ENXIO)
    PROBE_ERRNO(E2BIG)
    PROBE_ERRNO(ENOEXEC)
    PROBE_ERRNO(EBADF)
    PROBE_ERRNO(ECHILD)
    PROBE_ERRNO(EAGAIN)
    PROBE_ERRNO(ENOMEM)
    PROBE_ERRNO(EACCES)
    PROBE_ERRNO(EFAULT)
    PROBE_ERRNO(EBUSY)
    PROBE_ERRNO(EEXIST)
    PROBE_ERRNO(EXDEV)
    PROBE_ERRNO(ENODEV)
    PROBE_ERRNO(ENOTDIR)
    PROBE_ERRNO(EISDIR)
    PROBE_ERRNO(EINVAL)
    PROBE_ERRNO(ENFILE)
    PROBE_ERRNO(EMFILE)
    PROBE_ERRNO(ENOTTY)
    PROBE_ERRNO(ETXTBSY)
    PROBE_ERRNO(EFBIG)
    PROBE_ERRNO(ENOSPC)
    PROBE_ERRNO(ESPIPE)
    PROBE_ERRNO(EROFS)
    PROBE_ERRNO(EMLINK)
    PROBE_ERRNO(EPIPE)
    PROBE_ERRNO(ERANGE)
    PROBE_ERRNO(ENAMETOOLONG)
    PROBE_ERRNO(ENOSYS)
    PROBE_ERRNO(ENOTEMPTY)
    PROBE_ERRNO(ELOOP)
    PROBE_ERRNO(ENOMSG)
    PROBE_ERRNO(EIDRM)
    PROBE_ERRNO(EOVERFLOW)
    PROBE_ERRNO(ENOTSOCK)
    PROBE_ERRNO(EPROTONOSUPPORT)
    PROBE_ERRNO(EOPNOTSUPP)  // Same value as ENOTSUP on Linux.
    PROBE_ERRNO(EAFNOSUPPORT)
    PROBE_ERRNO(EADDRINUSE)
    PROBE_ERRNO(EADDRNOTAVAIL)
    PROBE_ERRNO(ENETDOWN)
    PROBE_ERRNO(ENETUNREACH)
    PROBE_ERRNO(ECONNRESET)
    PROBE_ERRNO(ETIMEDOUT)
    PROBE_ERRNO(ECONNREFUSED)
    PROBE_ERRNO(EHOSTUNREACH)
    PROBE_ERRNO(EDQUOT)
#undef PROBE_ERRNO
    default:
      return nullptr;
  }
}

// Symbolic errno name for the error line; unknown values still get a stable "E<number>" token.
std::string ErrnoName(int err) {
  const char* name = KnownErrnoName(err);
  return name != nullptr ? std::string(name) : "E" + std::to_string(err);
}

std::string ErrorText(int err) { return "error " + ErrnoName(err) + " " + strerror(err); }

// Prints the error line for `err` and returns the failure exit status, so callers can write
// `return Fail(errno);` right after the failing call, before anything clobbers errno.
int Fail(int err) {
  PrintLine(ErrorText(err));
  return kExitFail;
}

int Ok() {
  PrintLine("ok");
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// Argument parsing.

bool ParseInt(std::string_view text, int64_t min, int64_t max, int64_t* out) {
  std::string s(text);
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  long long value = strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || value < min || value > max) return false;
  *out = value;
  return true;
}

// Reports a malformed argument the way the usage contract requires (stderr, exit 2).
int BadArg(std::string_view what, std::string_view value) {
  std::string msg = "probe: invalid " + std::string(what) + ": '" + std::string(value) + "'\n";
  WriteAll(STDERR_FILENO, msg);
  return kExitUsage;
}

// ---------------------------------------------------------------------------------------------
// Filesystem helpers.

// Reads a whole file into *out. Returns 0 or an errno value. Loops because /proc files are
// produced in page-sized chunks.
int ReadFile(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  out->clear();
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return err;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return 0;
}

// Lists directory entry names except "." and "..". Returns 0 or an errno value. If skip_own_fd is
// set, the directory stream's own fd number is also skipped (for listing /proc/self/fd).
int ListDir(const std::string& path, bool skip_own_fd, std::vector<std::string>* names) {
  DIR* dir = opendir(path.c_str());
  if (dir == nullptr) return errno;
  std::string own_fd = std::to_string(dirfd(dir));
  names->clear();
  for (;;) {
    errno = 0;
    struct dirent* entry = readdir(dir);
    if (entry == nullptr) break;
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (skip_own_fd && name == own_fd) continue;
    names->emplace_back(name);
  }
  int err = errno;
  closedir(dir);
  return err;
}

bool IsAllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Sorts numeric names by value and prints them one per line.
void PrintNumericSorted(const std::vector<std::string>& names) {
  std::vector<int64_t> numbers;
  for (const std::string& name : names) {
    int64_t n = 0;
    if (IsAllDigits(name) && ParseInt(name, 0, INT64_MAX, &n)) numbers.push_back(n);
  }
  std::sort(numbers.begin(), numbers.end());
  std::string out;
  for (int64_t n : numbers) out += std::to_string(n) + "\n";
  Print(out);
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) nl = text.size();
    lines.push_back(text.substr(0, nl));
    text.remove_prefix(std::min(nl + 1, text.size()));
  }
  return lines;
}

std::string CollapseWhitespace(std::string_view line) {
  std::string out;
  bool pending_space = false;
  for (char c : line) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// Sleeps for the given duration, resuming after signal handlers run.
void SleepFor(struct timespec ts) {
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

[[noreturn]] void SleepForever() {
  for (;;) pause();
}

// ---------------------------------------------------------------------------------------------
// Commands: files and directories.

int CmdPids(const Args&) {
  std::vector<std::string> names;
  if (int err = ListDir("/proc", false, &names)) return Fail(err);
  PrintNumericSorted(names);
  return kExitOk;
}

int CmdExists(const Args& args) {
  struct stat st;
  bool exists = lstat(std::string(args[0]).c_str(), &st) == 0;
  PrintLine(exists ? "yes" : "no");
  return exists ? kExitOk : kExitFail;
}

int CmdWrite(const Args& args) {
  std::string_view content = args.size() > 1 ? args[1] : "probe\n";
  int fd = open(std::string(args[0]).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(errno);
  while (!content.empty()) {
    ssize_t n = write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return Fail(err);
    }
    content.remove_prefix(static_cast<size_t>(n));
  }
  // close() is where some filesystems (e.g. quota, FUSE) report deferred write errors.
  if (close(fd) != 0) return Fail(errno);
  return Ok();
}

int CmdRead(const Args& args) {
  std::string data;
  if (int err = ReadFile(std::string(args[0]), &data)) return Fail(err);
  Print(data);
  return kExitOk;
}

int CmdMkdir(const Args& args) {
  if (mkdir(std::string(args[0]).c_str(), 0755) != 0) return Fail(errno);
  return Ok();
}

int CmdSymlink(const Args& args) {
  if (symlink(std::string(args[0]).c_str(), std::string(args[1]).c_str()) != 0) {
    return Fail(errno);
  }
  return Ok();
}

int CmdLs(const Args& args) {
  std::vector<std::string> names;
  if (int err = ListDir(std::string(args[0]), false, &names)) return Fail(err);
  std::sort(names.begin(), names.end());
  std::string out;
  for (const std::string& name : names) out += name + "\n";
  Print(out);
  return kExitOk;
}

// write-in-tmpfs DIR: finds the writable tmpfs mounted on an entry of DIR, whatever its name
// is now (a concurrent rename may move it: each entry is opened once and used through its
// descriptor), and writes a file into it: "ok" or the error ("error ENOENT" when there is none).
int CmdWriteInTmpfs(const Args& args) {
  std::string dir(args[0]);
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::vector<std::string> names;
    if (int err = ListDir(dir, false, &names)) return Fail(err);
    for (const std::string& name : names) {
      int at = open((dir + "/" + name).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (at < 0) continue;
      struct statfs st;
      if (fstatfs(at, &st) != 0 || static_cast<uint32_t>(st.f_type) != 0x01021994 ||
          (st.f_flags & ST_RDONLY) != 0) {
        close(at);
        continue;
      }
      int fd = openat(at, "written", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      int err = errno;
      close(at);
      if (fd < 0) return Fail(err);
      close(fd);
      return Ok();
    }
  }
  return Fail(ENOENT);
}

int CmdFdOpenat(const Args& args) {
  int64_t dir_fd = 0;
  if (!ParseInt(args[0], -1000, INT32_MAX, &dir_fd)) return BadArg("fd", args[0]);
  int fd = openat(static_cast<int>(dir_fd), std::string(args[1]).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(errno);
  char buf[64];
  ssize_t n;
  do {
    n = read(fd, buf, sizeof(buf));
  } while (n < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (n < 0) return Fail(err);
  return Ok();
}

int CmdStatMode(const Args& args) {
  struct stat st;
  if (stat(std::string(args[0]).c_str(), &st) != 0) return Fail(errno);
  char line[96];
  snprintf(line, sizeof(line), "%o uid=%u gid=%u", static_cast<unsigned>(st.st_mode),
           static_cast<unsigned>(st.st_uid), static_cast<unsigned>(st.st_gid));
  PrintLine(line);
  return kExitOk;
}

int CmdStatfsType(const Args& args) {
  struct statfs st;
  if (statfs(std::string(args[0]).c_str(), &st) != 0) return Fail(errno);
  char line[64];
  snprintf(line, sizeof(line), "0x%llx %s",
           static_cast<unsigned long long>(static_cast<uint32_t>(st.f_type)),
           (st.f_flags & ST_RDONLY) != 0 ? "rdonly" : "rw");
  PrintLine(line);
  return kExitOk;
}

// statfs-size PATH: the filesystem's size in bytes (blocks times block size).
int CmdStatfsSize(const Args& args) {
  struct statfs st;
  if (statfs(std::string(args[0]).c_str(), &st) != 0) return Fail(errno);
  PrintLine(std::to_string(static_cast<unsigned long long>(st.f_blocks) *
                           static_cast<unsigned long long>(st.f_bsize)));
  return kExitOk;
}

// fill FILE: writes 64 KiB blocks to FILE until a write fails; "filled BYTES ERRNAME".
int CmdFill(const Args& args) {
  int fd = open(std::string(args[0]).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(errno);
  static char block[65536];
  unsigned long long total = 0;
  int err = 0;
  for (;;) {
    ssize_t n = write(fd, block, sizeof(block));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : 0;
      break;
    }
    total += static_cast<unsigned long long>(n);
  }
  close(fd);
  const char* name = KnownErrnoName(err);
  PrintLine("filled " + std::to_string(total) + " " + (name != nullptr ? name : "?"));
  return kExitOk;
}

int CmdMounts(const Args&) {
  std::string data;
  if (int err = ReadFile("/proc/self/mountinfo", &data)) return Fail(err);
  Print(data);
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// Commands: process identity and state.

int CmdStatus(const Args&) {
  static constexpr std::string_view kKeys[] = {"CapInh", "CapPrm",     "CapEff", "CapBnd",
                                               "CapAmb", "NoNewPrivs", "Seccomp"};
  std::string data;
  if (int err = ReadFile("/proc/self/status", &data)) return Fail(err);
  std::string out;
  for (std::string_view line : SplitLines(data)) {
    std::string_view key = line.substr(0, line.find(':'));
    if (std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys)) {
      out += std::string(line) + "\n";
    }
  }
  Print(out);
  return kExitOk;
}

// Prints each line of an id map as "<label> inside outside count" (whitespace collapsed) so the
// uid and gid maps stay distinguishable and easy to split. A read failure is reported in place
// so the remaining identity information is still printed.
bool PrintIdMap(const char* label, const std::string& path) {
  std::string data;
  if (int err = ReadFile(path, &data)) {
    PrintLine(std::string(label) + " " + ErrorText(err));
    return false;
  }
  std::string out;
  for (std::string_view line : SplitLines(data)) {
    out += std::string(label) + " " + CollapseWhitespace(line) + "\n";
  }
  Print(out);
  return true;
}

int CmdIds(const Args&) {
  PrintLine("uid=" + std::to_string(getuid()) + " gid=" + std::to_string(getgid()) +
            " euid=" + std::to_string(geteuid()) + " egid=" + std::to_string(getegid()));
  bool ok = PrintIdMap("uid_map", "/proc/self/uid_map");
  ok = PrintIdMap("gid_map", "/proc/self/gid_map") && ok;
  int count = getgroups(0, nullptr);
  if (count < 0) return Fail(errno);
  std::vector<gid_t> groups(static_cast<size_t>(count));
  count = getgroups(count, groups.data());
  if (count < 0) return Fail(errno);
  std::string line = "groups=";
  for (int i = 0; i < count; ++i) {
    if (i > 0) line += ",";
    line += std::to_string(groups[static_cast<size_t>(i)]);
  }
  PrintLine(line);
  return ok ? kExitOk : kExitFail;
}

int CmdFds(const Args&) {
  std::vector<std::string> names;
  if (int err = ListDir("/proc/self/fd", true, &names)) return Fail(err);
  PrintNumericSorted(names);
  return kExitOk;
}

// Each open descriptor with what it names ("3 anon_inode:seccomp notify"), in number order.
int CmdFdLinks(const Args&) {
  std::vector<std::string> names;
  if (int err = ListDir("/proc/self/fd", true, &names)) return Fail(err);
  std::sort(names.begin(), names.end(),
            [](const std::string& a, const std::string& b) { return std::stol(a) < std::stol(b); });
  std::string out;
  for (const std::string& name : names) {
    char target[PATH_MAX];
    ssize_t n = readlink(("/proc/self/fd/" + name).c_str(), target, sizeof(target) - 1);
    out.append(name).append(" ").append(n > 0 ? std::string(target, static_cast<size_t>(n)) : "?");
    out.append("\n");
  }
  Print(out);
  return kExitOk;
}

int CmdEnv(const Args&) {
  std::string out;
  for (char** entry = environ; *entry != nullptr; ++entry) out += std::string(*entry) + "\n";
  Print(out);
  return kExitOk;
}

int CmdEnvironOf(const Args& args) {
  int64_t pid = 0;
  if (!ParseInt(args[0], 1, INT32_MAX, &pid)) return BadArg("pid", args[0]);
  std::string data;
  if (int err = ReadFile("/proc/" + std::to_string(pid) + "/environ", &data)) return Fail(err);
  // Entries are NUL-terminated; the last terminator becomes the final newline.
  std::replace(data.begin(), data.end(), '\0', '\n');
  if (!data.empty() && data.back() != '\n') data += '\n';
  Print(data);
  return kExitOk;
}

int CmdCwd(const Args&) {
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof(buf)) == nullptr) return Fail(errno);
  PrintLine(buf);
  return kExitOk;
}

int CmdHostname(const Args&) {
  struct utsname uts;
  if (uname(&uts) != 0) return Fail(errno);
  PrintLine(uts.nodename);
  return kExitOk;
}

int CmdSetsidCheck(const Args&) {
  PrintLine("sid=" + std::to_string(getsid(0)) + " pid=" + std::to_string(getpid()) +
            " pgid=" + std::to_string(getpgid(0)));
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// Commands: networking and IPC.

int CmdNetifs(const Args&) {
  // Upper bound on the ifindex scan. ifindexes are never reused within a namespace, so on a
  // long-running host (veth churn) they can exceed small limits; each probe is one cheap ioctl.
  constexpr int kMaxIfIndex = 1024;
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return Fail(errno);
  std::vector<std::pair<std::string, bool>> ifaces;
  for (int index = 1; index <= kMaxIfIndex; ++index) {
    struct ifreq req;
    memset(&req, 0, sizeof(req));
    req.ifr_ifindex = index;
    if (ioctl(sock, SIOCGIFNAME, &req) != 0) continue;  // ENODEV: no interface at this index.
    std::string name(req.ifr_name, strnlen(req.ifr_name, IFNAMSIZ));
    if (ioctl(sock, SIOCGIFFLAGS, &req) != 0) {
      int err = errno;
      close(sock);
      return Fail(err);
    }
    ifaces.emplace_back(name, (req.ifr_flags & IFF_UP) != 0);
  }
  close(sock);
  std::sort(ifaces.begin(), ifaces.end());
  std::string out;
  for (const auto& [name, up] : ifaces) out += name + (up ? " up\n" : " down\n");
  Print(out);
  return kExitOk;
}

// Closes every fd in the list on scope exit so the early error returns in CmdTcp stay short.
class FdCloser {
 public:
  explicit FdCloser(std::vector<int>* fds) : fds_(fds) {}
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  ~FdCloser() {
    for (int fd : *fds_) {
      if (fd >= 0) close(fd);
    }
  }

 private:
  std::vector<int>* fds_;
};

int CmdTcp(const Args&) {
  std::vector<int> fds;
  FdCloser closer(&fds);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) return Fail(errno);
  fds.push_back(listener);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return Fail(errno);
  if (listen(listener, 1) != 0) return Fail(errno);
  socklen_t addr_len = sizeof(addr);
  if (getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &addr_len) != 0) {
    return Fail(errno);
  }

  int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (client < 0) return Fail(errno);
  fds.push_back(client);
  if (connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return Fail(errno);
  static constexpr char kPing[] = "ping";
  constexpr size_t kPingLen = sizeof(kPing) - 1;
  if (send(client, kPing, kPingLen, MSG_NOSIGNAL) != static_cast<ssize_t>(kPingLen)) {
    return Fail(errno);
  }

  int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (server < 0) return Fail(errno);
  fds.push_back(server);
  // Never hang a test if the bytes somehow do not arrive.
  struct timeval timeout = {5, 0};
  setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  char buf[kPingLen];
  size_t got = 0;
  while (got < kPingLen) {
    ssize_t n = recv(server, buf + got, kPingLen - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail(errno);
    if (n == 0) return Fail(ECONNRESET);  // Peer vanished before sending everything.
    got += static_cast<size_t>(n);
  }
  if (memcmp(buf, kPing, kPingLen) != 0) return Fail(EIO);
  return Ok();
}

bool ParseKey(std::string_view text, key_t* key) {
  int64_t value = 0;
  if (!ParseInt(text, INT32_MIN, INT32_MAX, &value)) return false;
  *key = static_cast<key_t>(value);
  return true;
}

int CmdMsgq(const Args& args) {
  key_t key;
  if (!ParseKey(args[0], &key)) return BadArg("key", args[0]);
  if (msgget(key, 0) >= 0) {
    PrintLine("present");
    return kExitOk;
  }
  if (errno == ENOENT) {
    PrintLine("absent");
    return kExitFail;
  }
  return Fail(errno);
}

int CmdMsgqCreate(const Args& args) {
  key_t key;
  if (!ParseKey(args[0], &key)) return BadArg("key", args[0]);
  int id = msgget(key, IPC_CREAT | 0600);
  if (id < 0) return Fail(errno);
  PrintLine(std::to_string(id));
  return kExitOk;
}

int CmdMsgqRemove(const Args& args) {
  key_t key;
  if (!ParseKey(args[0], &key)) return BadArg("key", args[0]);
  int id = msgget(key, 0);
  if (id < 0) return Fail(errno);
  if (msgctl(id, IPC_RMID, nullptr) != 0) return Fail(errno);
  return Ok();
}

// ---------------------------------------------------------------------------------------------
// Commands: resource limits.

// Forks up to COUNT children that wait to be killed (the sandbox's teardown does that), and
// reports how many forks succeeded and the first failure.
int CmdForkBomb(const Args& args) {
  int64_t count = 0;
  if (!ParseInt(args[0], 1, 100000, &count)) return BadArg("count", args[0]);
  int64_t created = 0;
  int64_t failed = 0;
  int first_error = 0;
  for (int64_t i = 0; i < count; ++i) {
    pid_t pid = fork();
    if (pid == 0) SleepForever();
    if (pid < 0) {
      if (first_error == 0) first_error = errno;
      ++failed;
    } else {
      ++created;
    }
  }
  std::string line = "created=" + std::to_string(created) + " failed=" + std::to_string(failed);
  if (first_error != 0) line += " first_error=" + ErrnoName(first_error);
  PrintLine(line);
  return kExitOk;
}

int CmdRlimit(const Args& args) {
  static constexpr std::pair<std::string_view, int> kNames[] = {
      {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"fsize", RLIMIT_FSIZE},
      {"cpu", RLIMIT_CPU},       {"core", RLIMIT_CORE},   {"stack", RLIMIT_STACK},
      {"as", RLIMIT_AS}};
  for (const auto& [name, resource] : kNames) {
    if (args[0] != name) continue;
    struct rlimit limit;
    if (getrlimit(static_cast<__rlimit_resource>(resource), &limit) != 0) return Fail(errno);
    auto text = [](rlim_t v) {
      return v == RLIM_INFINITY ? std::string("unlimited") : std::to_string(v);
    };
    PrintLine("soft=" + text(limit.rlim_cur) + " hard=" + text(limit.rlim_max));
    return kExitOk;
  }
  return BadArg("limit", args[0]);
}

// ---------------------------------------------------------------------------------------------
// Commands: exit status, signals, sleeping, daemons.

int CmdExit(const Args& args) {
  int64_t code = 0;
  if (!ParseInt(args[0], 0, 255, &code)) return BadArg("exit code", args[0]);
  return static_cast<int>(code);
}

int ParseSignal(std::string_view text) {
  int64_t sig = 0;
  if (!ParseInt(text, 1, SIGRTMAX, &sig)) return -1;
  return static_cast<int>(sig);
}

// signal PID N: kill(PID, N) with a numeric signal (0: only the permission check).
int CmdSignal(const Args& args) {
  int64_t pid = 0;
  int64_t sig = 0;
  if (!ParseInt(args[0], 1, INT32_MAX, &pid)) return BadArg("pid", args[0]);
  if (!ParseInt(args[1], 0, 64, &sig)) return BadArg("signal", args[1]);
  if (kill(static_cast<pid_t>(pid), static_cast<int>(sig)) != 0) return Fail(errno);
  return Ok();
}

int CmdKillSelf(const Args& args) {
  int sig = ParseSignal(args[0]);
  if (sig < 0) return BadArg("signal", args[0]);
  // Core-dumping signals (SIGSEGV, SIGABRT, ...) must not litter the working directory.
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  // The inherited disposition or mask could be anything; force the default action.
  if (sig != SIGKILL && sig != SIGSTOP && signal(sig, SIG_DFL) == SIG_ERR) return Fail(errno);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, sig);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  if (raise(sig) != 0) return Fail(errno);
  // Reached for signals whose default action is to ignore (SIGCHLD, ...) or after SIGCONT.
  PrintLine("alive");
  return kExitFail;
}

volatile sig_atomic_t g_got_sigterm = 0;

void OnSigterm(int) { g_got_sigterm = 1; }

int CmdWaitTerm(const Args& args) {
  int64_t code = 0;
  if (!ParseInt(args[0], 0, 255, &code)) return BadArg("exit code", args[0]);
  // Block SIGTERM until sigsuspend() so one arriving right after "ready" cannot be missed.
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  sigset_t wait_mask;
  sigprocmask(SIG_BLOCK, &term, &wait_mask);
  sigdelset(&wait_mask, SIGTERM);
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = OnSigterm;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGTERM, &action, nullptr) != 0) return Fail(errno);
  PrintLine("ready");
  while (!g_got_sigterm) sigsuspend(&wait_mask);
  PrintLine("got SIGTERM");
  return static_cast<int>(code);
}

// Waits until PATH exists, then prints its content: a job that another process talks to.
int CmdWaitFile(const Args& args) {
  std::string path(args[0]);
  for (;;) {
    std::string content;
    int err = ReadFile(path, &content);
    if (err == 0) {
      Print(content);
      return kExitOk;
    }
    if (err != ENOENT) return Fail(err);
    SleepFor({0, 10'000'000});
  }
}

// inotify-init: one inotify instance, "ok" or the error. inotify-grab PATH: every instance
// this process can get, then "held N ERRNAME" and a wait for PATH to exist while holding them.
int CmdInotifyInit(const Args&) {
  int fd = inotify_init1(IN_CLOEXEC);
  if (fd < 0) return Fail(errno);
  close(fd);
  return Ok();
}

int CmdInotifyGrab(const Args& args) {
  int held = 0;
  int err = 0;
  for (;;) {
    if (inotify_init1(IN_CLOEXEC) < 0) {
      err = errno;
      break;
    }
    ++held;
  }
  const char* name = KnownErrnoName(err);
  PrintLine("held " + std::to_string(held) + " " + (name != nullptr ? name : "?"));
  std::string path(args[0]);
  struct stat st;
  while (stat(path.c_str(), &st) != 0) SleepFor({0, 10'000'000});
  return kExitOk;
}

int CmdIgnoreTerm(const Args&) {
  if (signal(SIGTERM, SIG_IGN) == SIG_ERR) return Fail(errno);
  PrintLine("ready");
  SleepForever();
}

int CmdSleep(const Args& args) {
  // Accepts fractional seconds ("0.5") for short test timeouts.
  std::string text(args[0]);
  char* end = nullptr;
  errno = 0;
  double seconds = strtod(text.c_str(), &end);
  if (text.empty() || errno != 0 || *end != '\0' || !(seconds >= 0) || seconds > 1e9) {
    return BadArg("seconds", args[0]);
  }
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(seconds);
  ts.tv_nsec = static_cast<long>((seconds - static_cast<double>(ts.tv_sec)) * 1e9);
  SleepFor(ts);
  return kExitOk;
}

// Grandchild half of `daemon`: detaches stdio, names itself, reports its pid, then idles.
[[noreturn]] void RunDaemonGrandchild(const std::string& name, int report_fd) {
  // Move the pipe above stdio first: if probe was started with fd 0-2 closed, pipe2() may have
  // handed out one of those numbers and the loop below would close it.
  int moved_fd = fcntl(report_fd, F_DUPFD_CLOEXEC, 3);
  close(report_fd);
  report_fd = moved_fd;
  signal(SIGHUP, SIG_IGN);  // Losing the session leader must not kill it.
  prctl(PR_SET_NAME, name.c_str(), 0, 0, 0);
  // Holding the test's stdout/stderr pipes open would make the test wait for EOF forever.
  for (int fd = 0; fd <= 2; ++fd) close(fd);
  int null_fd = open("/dev/null", O_RDWR);  // Lands on fd 0 if it exists.
  if (null_fd == 0) {
    dup2(0, 1);
    dup2(0, 2);
  }
  // Like a real daemon, do not pin the caller's cwd (a test may want to unmount it).
  if (chdir("/") != 0) _exit(kExitFail);
  // Reported last so that when the parent prints the pid, the daemon is already fully set up.
  pid_t self = getpid();
  WriteAll(report_fd, std::string_view(reinterpret_cast<const char*>(&self), sizeof(self)));
  close(report_fd);
  SleepForever();
}

int CmdDaemon(const Args& args) {
  std::string name(args[0]);
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return Fail(errno);
  pid_t child = fork();
  if (child < 0) return Fail(errno);
  if (child == 0) {
    close(report[0]);
    if (setsid() < 0) _exit(kExitFail);
    pid_t grandchild = fork();
    if (grandchild < 0) _exit(kExitFail);
    if (grandchild == 0) RunDaemonGrandchild(name, report[1]);
    _exit(kExitOk);
  }
  close(report[1]);
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return Fail(errno);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return Fail(ECHILD);
  pid_t daemon_pid = 0;
  ssize_t n;
  do {
    n = read(report[0], &daemon_pid, sizeof(daemon_pid));
  } while (n < 0 && errno == EINTR);
  int err = errno;
  close(report[0]);
  if (n < 0) return Fail(err);
  if (n != static_cast<ssize_t>(sizeof(daemon_pid))) return Fail(ECHILD);  // Died in setup.
  PrintLine(std::to_string(daemon_pid));
  // daemon NAME SECONDS: the job itself then goes on for that long (a timeout's tree to end).
  if (args.size() > 1) {
    int64_t seconds = 0;
    if (!ParseInt(args[1], 0, 86400, &seconds)) return BadArg("seconds", args[1]);
    struct timespec ts = {static_cast<time_t>(seconds), 0};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
  }
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// Commands: privilege and escape attempts the sandbox is expected to block.

int CmdIoctlTiocsti(const Args&) {
  char c = 'x';
  if (ioctl(STDIN_FILENO, TIOCSTI, &c) != 0) return Fail(errno);
  return Ok();
}

// tty-ioctl REQUEST stdin|new-pty [high]: one terminal request with a harmless argument, on
// stdin or on a fresh pty of /dev/ptmx (the sandbox's devpts). "high" sets the upper half of
// the 64-bit command word, which the kernel ignores (the filter must too).
int CmdTtyIoctl(const Args& args) {
  struct Request {
    std::string_view name;
    unsigned long value;
  };
  static constexpr Request kRequests[] = {
      {"setd", TIOCSETD},
      {"cons", TIOCCONS},
      {"vhangup", TIOCVHANGUP},
      {"sserial", TIOCSSERIAL},
      {"kdsetmode", 0x4B3A /* KDSETMODE */},
      {"kdskbmode", 0x4B45 /* KDSKBMODE */},
      {"getd", TIOCGETD},
  };
  const Request* request = nullptr;
  for (const Request& r : kRequests) {
    if (r.name == args[0]) request = &r;
  }
  if (request == nullptr) return Fail(EINVAL);
  int fd = STDIN_FILENO;
  if (args[1] == "new-pty") {
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) return Fail(errno);
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) != 0) return Fail(errno);
    fd = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return Fail(errno);
  } else if (args[1] != "stdin") {
    return Fail(EINVAL);
  }
  // The value each request reads: N_TTY (0) for TIOCSETD, KD_TEXT/K_XLATE-ish zeros for the
  // console ones, a zeroed serial_struct-sized buffer for TIOCSSERIAL.
  alignas(8) char arg[128] = {};
  unsigned long command = request->value;
  if (args.size() > 2 && args[2] == "high") command |= 0xdead000000000000UL;
  long value = request->name.substr(0, 2) == "kd" ? 0 : reinterpret_cast<long>(arg);
  if (syscall(SYS_ioctl, fd, command, value) != 0) return Fail(errno);
  return Ok();
}

int CmdUnshareUser(const Args&) {
  if (unshare(CLONE_NEWUSER) != 0) return Fail(errno);
  return Ok();
}

// Waits for `pid`, retrying on EINTR. Returns 0 or an errno value.
int Reap(pid_t pid, int* status) {
  while (waitpid(pid, status, 0) < 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

int CmdCloneNewuser(const Args&) {
  // Raw syscall: seccomp filters often treat clone() and unshare() separately, and glibc's
  // clone() wrapper needs a stack. Only flags are passed, so the arch-specific order of the
  // remaining arguments does not matter.
  long ret =
      syscall(SYS_clone, static_cast<unsigned long>(CLONE_NEWUSER | SIGCHLD), 0UL, 0UL, 0UL, 0UL);
  if (ret < 0) return Fail(errno);
  if (ret == 0) _exit(0);  // Child: nothing to do; its existence is the test.
  int status = 0;
  if (int err = Reap(static_cast<pid_t>(ret), &status)) return Fail(err);
  return Ok();
}

// Seizes PID without stopping it (so pid 1 of a sandbox can be tried), then detaches.
int CmdPtraceSeize(const Args& args) {
  int64_t pid = 0;
  if (!ParseInt(args[0], 1, INT32_MAX, &pid)) return BadArg("pid", args[0]);
  if (ptrace(PTRACE_SEIZE, static_cast<pid_t>(pid), nullptr, nullptr) != 0) return Fail(errno);
  ptrace(PTRACE_DETACH, static_cast<pid_t>(pid), nullptr, nullptr);
  return Ok();
}

// Until STOPFILE exists: tries to open /proc/PID/mem of, and to PTRACE_SEIZE, every other
// process of the pid namespace but pid 1, again and again. A process whose comm, read after a
// successful attach, is not EXEC_COMM has not exec'd yet: comm changes during execve under the
// same lock that attaching takes, so such an attach happened before the exec. Prints
// "pre-exec-seen N" (distinct processes met before their exec) and "pre-exec-attached N".
int CmdWatchAttach(const Args& args) {
  std::string stop(args[0]);
  std::string exec_comm(args[1]);
  pid_t self = getpid();
  std::vector<pid_t> seen;
  std::vector<pid_t> attached;
  auto note = [](std::vector<pid_t>& list, pid_t pid) {
    if (std::find(list.begin(), list.end(), pid) == list.end()) list.push_back(pid);
  };
  auto comm_of = [](pid_t pid) {
    std::string comm;
    ReadFile("/proc/" + std::to_string(pid) + "/comm", &comm);
    while (!comm.empty() && comm.back() == '\n') comm.pop_back();
    return comm;
  };
  // Ends once the stop file exists and every other process (its writer included) is gone: the
  // writer must not be killed by the run ending under it.
  for (bool stopping = false;;) {
    stopping = stopping || access(stop.c_str(), F_OK) == 0;
    size_t others = 0;
    DIR* dir = opendir("/proc");
    if (dir == nullptr) return Fail(errno);
    while (struct dirent* entry = readdir(dir)) {
      int64_t value = 0;
      if (!ParseInt(entry->d_name, 2, INT32_MAX, &value)) continue;
      pid_t pid = static_cast<pid_t>(value);
      if (pid == self) continue;
      ++others;
      std::string comm = comm_of(pid);
      if (comm.empty() || comm == exec_comm) continue;
      note(seen, pid);
      std::string mem = "/proc/" + std::to_string(pid) + "/mem";
      int fd = open(mem.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        close(fd);
        comm = comm_of(pid);
        if (!comm.empty() && comm != exec_comm) note(attached, pid);
      }
      if (ptrace(PTRACE_SEIZE, pid, nullptr, nullptr) == 0) {
        comm = comm_of(pid);
        if (!comm.empty() && comm != exec_comm) note(attached, pid);
        // Only a stopped tracee can be detached; one left traced would never be reaped by its
        // parent.
        ptrace(PTRACE_INTERRUPT, pid, nullptr, nullptr);
        int status = 0;
        if (waitpid(pid, &status, __WALL) == pid && !WIFEXITED(status) && !WIFSIGNALED(status)) {
          ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
        }
      }
    }
    closedir(dir);
    if (stopping && others == 0) break;
  }
  PrintLine("pre-exec-seen " + std::to_string(seen.size()));
  PrintLine("pre-exec-attached " + std::to_string(attached.size()));
  return kExitOk;
}

int CmdPtraceChild(const Args&) {
  pid_t child = fork();
  if (child < 0) return Fail(errno);
  if (child == 0) SleepForever();
  int result = kExitOk;
  int status = 0;
  if (ptrace(PTRACE_ATTACH, child, nullptr, nullptr) != 0) {
    result = Fail(errno);
  } else if (int err = Reap(child, &status)) {  // Attach stops the tracee with SIGSTOP.
    result = Fail(err);
  } else if (ptrace(PTRACE_DETACH, child, nullptr, nullptr) != 0) {
    result = Fail(errno);
  }
  kill(child, SIGKILL);
  Reap(child, &status);
  if (result == kExitOk) Ok();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Commands: unix sockets and FIFOs (the socket fence).

bool UnixAddress(std::string_view path, sockaddr_un* addr, socklen_t* len) {
  memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr->sun_path)) return false;
  memcpy(addr->sun_path, path.data(), path.size());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return true;
}

int SocketType(std::string_view name) {
  if (name == "stream") return SOCK_STREAM;
  if (name == "dgram") return SOCK_DGRAM;
  if (name == "seqpacket") return SOCK_SEQPACKET;
  return -1;
}

// connect(2) to a pathname unix socket: "connected" or the error.
int CmdUnixConnect(const Args& args) {
  int type = SocketType(args[1]);
  if (type < 0) return BadArg("socket type", args[1]);
  sockaddr_un addr;
  socklen_t len;
  if (!UnixAddress(args[0], &addr, &len)) return BadArg("path", args[0]);
  int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(errno);
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (rc != 0) return Fail(err);
  PrintLine("connected");
  return kExitOk;
}

// sendto(2) "ping" from an unbound datagram socket to a pathname: "sent 4" or the error.
int CmdUnixSendto(const Args& args) {
  sockaddr_un addr;
  socklen_t len;
  if (!UnixAddress(args[0], &addr, &len)) return BadArg("path", args[0]);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(errno);
  ssize_t n = sendto(fd, "ping", 4, 0, reinterpret_cast<sockaddr*>(&addr), len);
  int err = errno;
  close(fd);
  if (n < 0) return Fail(err);
  PrintLine("sent " + std::to_string(n));
  return kExitOk;
}

// Fills n messages of one iovec each, all sent to `addr` (sendmsg/sendmmsg probes).
void AddressMessages(struct mmsghdr* m, struct iovec* iov, int n, void* addr, socklen_t len) {
  for (int i = 0; i < n; ++i) {
    m[i].msg_hdr.msg_name = addr;
    m[i].msg_hdr.msg_namelen = len;
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
}

// The sandbox's own sockets in DIR: a stream server reached by absolute and by relative path
// (from DIR), a datagram server reached with sendto, connect + send, sendmsg and sendmmsg. "ok"
// if all work.
int CmdUnixSelf(const Args& args) {
  std::string dir(args[0]);
  std::vector<int> fds;
  FdCloser closer(&fds);
  auto open_socket = [&fds](int type) {
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    fds.push_back(fd);
    return fd;
  };
  sockaddr_un stream_addr, dgram_addr, relative_addr;
  socklen_t stream_len, dgram_len, relative_len;
  if (!UnixAddress(dir + "/s.sock", &stream_addr, &stream_len) ||
      !UnixAddress(dir + "/d.sock", &dgram_addr, &dgram_len) ||
      !UnixAddress("s.sock", &relative_addr, &relative_len)) {
    return BadArg("dir", args[0]);
  }
  unlink(stream_addr.sun_path);
  unlink(dgram_addr.sun_path);
  int server = open_socket(SOCK_STREAM);
  if (server < 0) return Fail(errno);
  if (bind(server, reinterpret_cast<sockaddr*>(&stream_addr), stream_len) != 0) return Fail(errno);
  if (listen(server, 8) != 0) return Fail(errno);
  int client = open_socket(SOCK_STREAM);
  if (connect(client, reinterpret_cast<sockaddr*>(&stream_addr), stream_len) != 0) {
    return Fail(errno);
  }
  if (chdir(dir.c_str()) != 0) return Fail(errno);
  int relative = open_socket(SOCK_STREAM);
  if (connect(relative, reinterpret_cast<sockaddr*>(&relative_addr), relative_len) != 0) {
    return Fail(errno);
  }
  int accepted = accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
  if (accepted < 0) return Fail(errno);
  fds.push_back(accepted);
  if (write(client, "x", 1) != 1) return Fail(errno);
  char byte = 0;
  if (read(accepted, &byte, 1) != 1 || byte != 'x') return Fail(errno != 0 ? errno : EIO);

  int receiver = open_socket(SOCK_DGRAM);
  if (bind(receiver, reinterpret_cast<sockaddr*>(&dgram_addr), dgram_len) != 0) return Fail(errno);
  int sender = open_socket(SOCK_DGRAM);
  if (sendto(sender, "a", 1, 0, reinterpret_cast<sockaddr*>(&dgram_addr), dgram_len) != 1) {
    return Fail(errno);
  }
  if (connect(sender, reinterpret_cast<sockaddr*>(&dgram_addr), dgram_len) != 0) return Fail(errno);
  if (send(sender, "b", 1, 0) != 1) return Fail(errno);
  // sendmsg and sendmmsg with the address, from an unbound socket.
  int unbound = open_socket(SOCK_DGRAM);
  char c[] = "c", d[] = "d";
  struct iovec iov[2] = {{c, 1}, {d, 1}};
  struct mmsghdr m[2] = {};
  AddressMessages(m, iov, 2, &dgram_addr, dgram_len);
  if (sendmsg(unbound, &m[0].msg_hdr, 0) != 1) return Fail(errno);
  if (sendmmsg(unbound, &m[1], 1, 0) != 1) return Fail(errno);
  char got[4] = {};
  for (char& g : got) {
    if (recv(receiver, &g, 1, 0) != 1) return Fail(errno);
  }
  if (memcmp(got, "abcd", 4) != 0) return Fail(EIO);
  PrintLine("ok");
  return kExitOk;
}

// A blocking connect that must wait: a stream server in DIR whose backlog is full, a child
// whose blocking connect waits for room, made when the server accepts one. Then a TCP connect
// to a closed port of lo (refused through the kernel's own handshake). "ok" when both end as
// they would unsandboxed.
int CmdUnixBacklog(const Args& args) {
  std::string path = std::string(args[0]) + "/backlog.sock";
  sockaddr_un addr;
  socklen_t len;
  if (!UnixAddress(path, &addr, &len)) return BadArg("dir", args[0]);
  unlink(path.c_str());
  std::vector<int> fds;
  FdCloser closer(&fds);
  int server = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  fds.push_back(server);
  if (bind(server, reinterpret_cast<sockaddr*>(&addr), len) != 0) return Fail(errno);
  if (listen(server, 0) != 0) return Fail(errno);
  // Fill the backlog: non-blocking connects until the kernel says EAGAIN.
  for (int i = 0;; ++i) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    fds.push_back(fd);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0) continue;
    if (errno != EAGAIN) return Fail(errno);
    if (i == 0) return Fail(EPROTO);  // not even one fitted
    break;
  }
  pid_t child = fork();
  if (child < 0) return Fail(errno);
  if (child == 0) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    _exit(connect(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0 ? 0 : 1);
  }
  SleepFor({0, 200'000'000});
  int status = 0;
  if (waitpid(child, &status, WNOHANG) != 0) return Fail(EPROTO);  // it did not wait
  // Other connects go on meanwhile: under the sandbox, the waiting one must not hold up the
  // supervisor that makes them.
  int other = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  fds.push_back(other);
  if (connect(other, reinterpret_cast<sockaddr*>(&addr), len) == 0 || errno != EPROTOTYPE) {
    return Fail(errno);
  }
  int accepted = accept4(server, nullptr, nullptr, SOCK_CLOEXEC);
  if (accepted < 0) return Fail(errno);
  fds.push_back(accepted);
  if (int err = Reap(child, &status)) return Fail(err);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return Fail(ECONNREFUSED);

  int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  fds.push_back(tcp);
  struct sockaddr_in in = {};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  in.sin_port = htons(1);
  if (connect(tcp, reinterpret_cast<sockaddr*>(&in), sizeof(in)) == 0) return Fail(EPROTO);
  if (errno != ECONNREFUSED) return Fail(errno);
  PrintLine("ok");
  return kExitOk;
}

constexpr long kX32SyscallBit = 0x40000000;

// The 32-bit msghdr, iovec and mmsghdr (i386 and x32), for the compat forms of sendmsg.
struct Msghdr32 {
  uint32_t name;
  int32_t namelen;
  uint32_t iov;
  uint32_t iovlen;
  uint32_t control;
  uint32_t controllen;
  uint32_t flags;
};
struct Mmsghdr32 {
  Msghdr32 hdr;
  uint32_t len;
};

long Int80(long nr, long a, long b, long c, long d = 0);
bool KernelRunsI386();

// sendmsg(2) (msg) or sendmmsg(2) of two messages (mmsg) from an unbound datagram socket to a
// pathname, through the x86_64 (default), i386 or x32 entry: "sent 4", "sent 2: 4 4" or the
// error. The 32-bit forms take their structures from memory below 4 GiB.
int CmdUnixSendmsg(const Args& args) {
  sockaddr_un addr;
  socklen_t len;
  if (!UnixAddress(args[0], &addr, &len)) return BadArg("path", args[0]);
  bool mmsg = args[1] == "mmsg";
  if (!mmsg && args[1] != "msg") return BadArg("form", args[1]);
  std::string_view abi = args.size() > 2 ? args[2] : "x86_64";
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(errno);
  long ret = -1;
  unsigned lengths[2] = {};
  if (abi == "x86_64") {
    char ping[] = "ping", pong[] = "pong";
    struct iovec iov[2] = {{ping, 4}, {pong, 4}};
    struct mmsghdr m[2] = {};
    AddressMessages(m, iov, 2, &addr, len);
    ret = mmsg ? sendmmsg(fd, m, 2, 0) : sendmsg(fd, &m[0].msg_hdr, 0);
    if (ret < 0) ret = -errno;
    lengths[0] = m[0].msg_len;
    lengths[1] = m[1].msg_len;
  } else if (abi == "i386" || abi == "x32") {
    if (abi == "i386" && !KernelRunsI386()) {
      PrintLine("unsupported: this kernel runs no i386 code");
      return 1;
    }
    void* low =
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low == MAP_FAILED) return Fail(errno);
    auto at = [low](size_t offset) { return static_cast<char*>(low) + offset; };
    auto low32 = [](const void* p) {
      return static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p));
    };
    memcpy(at(0), &addr, sizeof(addr));
    memcpy(at(256), "pingpong", 8);
    uint32_t* iov = reinterpret_cast<uint32_t*>(at(512));
    iov[0] = low32(at(256));
    iov[1] = 4;
    iov[2] = low32(at(260));
    iov[3] = 4;
    auto* m = reinterpret_cast<Mmsghdr32*>(at(1024));
    for (int i = 0; i < 2; ++i) {
      m[i] =
          Mmsghdr32{{low32(at(0)), static_cast<int32_t>(len), low32(iov + 2 * i), 1, 0, 0, 0}, 0};
    }
    if (abi == "i386") {
      ret = mmsg ? Int80(345 /* sendmmsg */, fd, low32(m), 2, 0)
                 : Int80(370 /* sendmsg */, fd, low32(&m[0].hdr), 0);
    } else {
      ret = mmsg ? syscall(538 | kX32SyscallBit, fd, low32(m), 2, 0)
                 : syscall(518 | kX32SyscallBit, fd, low32(&m[0].hdr), 0);
      if (ret < 0) ret = -errno;
    }
    lengths[0] = m[0].len;
    lengths[1] = m[1].len;
  } else {
    return BadArg("abi", abi);
  }
  close(fd);
  if (ret < 0) return Fail(static_cast<int>(-ret));
  if (mmsg) {
    PrintLine("sent " + std::to_string(ret) + ": " + std::to_string(lengths[0]) + " " +
              std::to_string(lengths[1]));
  } else {
    PrintLine("sent " + std::to_string(ret));
  }
  return kExitOk;
}

// sendmsg on sockets that need no address, as programs use it every day; "ok" when all hold:
// a stream socketpair takes two iovecs in one call; a datagram socketpair takes three messages
// of one sendmmsg (msg_len written back); a descriptor passed with SCM_RIGHTS arrives usable
// (a pipe's write end, written through by the receiver); a blocking send on a full datagram
// queue waits until the reader makes room; a MSG_DONTWAIT send on it says EAGAIN.
int CmdSendmsgLocal(const Args&) {
  std::vector<int> fds;
  FdCloser closer(&fds);
  int stream[2], dgram[2], pipe_fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream) != 0) return Fail(errno);
  fds.insert(fds.end(), stream, stream + 2);
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dgram) != 0) return Fail(errno);
  fds.insert(fds.end(), dgram, dgram + 2);
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Fail(errno);
  fds.push_back(pipe_fds[0]);

  char he[] = "he", llo[] = "llo";
  struct iovec two[2] = {{he, 2}, {llo, 3}};
  struct msghdr m = {};
  m.msg_iov = two;
  m.msg_iovlen = 2;
  if (sendmsg(stream[0], &m, 0) != 5) return Fail(errno);
  char got[16] = {};
  if (read(stream[1], got, sizeof(got)) != 5 || memcmp(got, "hello", 5) != 0) return Fail(EIO);

  char a[] = "a", bb[] = "bb", ccc[] = "ccc";
  struct iovec one[3] = {{a, 1}, {bb, 2}, {ccc, 3}};
  struct mmsghdr many[3] = {};
  for (int i = 0; i < 3; ++i) {
    many[i].msg_hdr.msg_iov = &one[i];
    many[i].msg_hdr.msg_iovlen = 1;
  }
  if (sendmmsg(dgram[0], many, 3, 0) != 3) return Fail(errno);
  for (int i = 0; i < 3; ++i) {
    if (many[i].msg_len != static_cast<unsigned>(i + 1)) return Fail(EPROTO);
    if (recv(dgram[1], got, sizeof(got), 0) != i + 1) return Fail(EIO);
  }

  // The write end goes over the socket and is closed here: only the received copy holds it.
  char byte[] = "x";
  struct iovec x = {byte, 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control = {};
  m = {};
  m.msg_iov = &x;
  m.msg_iovlen = 1;
  m.msg_control = control.buf;
  m.msg_controllen = sizeof(control.buf);
  struct cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &pipe_fds[1], sizeof(int));
  if (sendmsg(stream[0], &m, 0) != 1) return Fail(errno);
  close(pipe_fds[1]);
  struct msghdr r = {};
  char in = 0;
  struct iovec in_iov = {&in, 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } received = {};
  r.msg_iov = &in_iov;
  r.msg_iovlen = 1;
  r.msg_control = received.buf;
  r.msg_controllen = sizeof(received.buf);
  if (recvmsg(stream[1], &r, MSG_CMSG_CLOEXEC) != 1) return Fail(errno);
  c = CMSG_FIRSTHDR(&r);
  if (c == nullptr || c->cmsg_type != SCM_RIGHTS) return Fail(ENOMSG);
  int passed;
  memcpy(&passed, CMSG_DATA(c), sizeof(int));
  fds.push_back(passed);
  if (write(passed, "fd", 2) != 2) return Fail(errno);
  close(passed);
  fds.pop_back();
  if (read(pipe_fds[0], got, sizeof(got)) != 2 || memcmp(got, "fd", 2) != 0) return Fail(EIO);
  if (read(pipe_fds[0], got, sizeof(got)) != 0) return Fail(EPROTO);  // no writer is left

  // Fill the datagram queue, then a blocking send must wait for the reader.
  int queued = 0;
  for (;; ++queued) {
    if (send(dgram[0], "q", 1, MSG_DONTWAIT) == 1) continue;
    if (errno != EAGAIN) return Fail(errno);
    break;
  }
  m = {};
  m.msg_iov = &x;
  m.msg_iovlen = 1;
  if (sendmsg(dgram[0], &m, MSG_DONTWAIT) != -1 || errno != EAGAIN) return Fail(EPROTO);
  pid_t child = fork();
  if (child < 0) return Fail(errno);
  if (child == 0) _exit(sendmsg(dgram[0], &m, 0) == 1 ? 0 : 1);
  SleepFor({0, 200'000'000});
  int status = 0;
  if (waitpid(child, &status, WNOHANG) != 0) return Fail(EPROTO);  // it did not wait
  for (int i = 0; i <= queued; ++i) {
    if (recv(dgram[1], got, sizeof(got), 0) != 1) return Fail(errno);
  }
  if (int err = Reap(child, &status)) return Fail(err);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return Fail(EIO);
  PrintLine("ok");
  return kExitOk;
}

// sendmsg with SCM_CREDENTIALS naming the probe itself over a socketpair: "sent 1" or the
// error.
int CmdSendmsgCreds(const Args&) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) != 0) return Fail(errno);
  char byte[] = "x";
  struct iovec x = {byte, 1};
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct ucred))];
  } control = {};
  struct msghdr m = {};
  m.msg_iov = &x;
  m.msg_iovlen = 1;
  m.msg_control = control.buf;
  m.msg_controllen = sizeof(control.buf);
  struct cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred cred = {getpid(), getuid(), getgid()};
  memcpy(CMSG_DATA(c), &cred, sizeof(cred));
  ssize_t n = sendmsg(pair[0], &m, 0);
  int err = errno;
  close(pair[0]);
  close(pair[1]);
  if (n < 0) return Fail(err);
  PrintLine("sent " + std::to_string(n));
  return kExitOk;
}

// sendto(2) of an empty NETLINK_ROUTE message to multicast group 1 (RTMGRP_LINK), which needs
// CAP_NET_ADMIN in the network namespace: "sent N" or the error.
int CmdNetlinkGroupSend(const Args&) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return Fail(errno);
  struct sockaddr_nl to = {};
  to.nl_family = AF_NETLINK;
  to.nl_groups = 1;
  struct nlmsghdr message = {};
  message.nlmsg_len = sizeof(message);
  message.nlmsg_type = NLMSG_NOOP;
  ssize_t n =
      sendto(fd, &message, sizeof(message), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
  int err = errno;
  close(fd);
  if (n < 0) return Fail(err);
  PrintLine("sent " + std::to_string(n));
  return kExitOk;
}

// open(2) for writing without blocking: "opened" or the error (a FIFO without a reader: ENXIO).
int CmdOpenWrite(const Args& args) {
  std::string path(args[0]);
  int fd = open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Fail(errno);
  close(fd);
  PrintLine("opened");
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// Commands: opens for writing, which the FIFO fence makes for the job when Landlock is off.

// Opens PATH for writing alone (blocking: a FIFO waits for its reader) and writes "hello\n".
int CmdFifoWrite(const Args& args) {
  std::string path(args[0]);
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return Fail(errno);
  bool ok = write(fd, "hello\n", 6) == 6;
  int err = errno;
  close(fd);
  if (!ok) return Fail(err);
  PrintLine("wrote");
  return kExitOk;
}

// A FIFO of the sandbox's own in DIR: a child reads it while this process opens it for writing
// (blocking, usually before the reader is there) and writes. Prints what the child read.
int CmdFifoPair(const Args& args) {
  std::string path = std::string(args[0]) + "/pair.fifo";
  if (mkfifo(path.c_str(), 0600) != 0) return Fail(errno);
  int report[2];
  if (pipe(report) != 0) return Fail(errno);
  pid_t child = fork();
  if (child == 0) {
    close(report[0]);
    usleep(50 * 1000);  // the writer is most likely waiting by now
    int fd = open(path.c_str(), O_RDONLY);
    char buf[64];
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
    if (n > 0 && write(report[1], buf, static_cast<size_t>(n)) != n) _exit(2);
    _exit(n > 0 ? 0 : 1);
  }
  close(report[1]);
  int fd = open(path.c_str(), O_WRONLY);
  if (fd < 0) return Fail(errno);
  bool ok = write(fd, "hello", 5) == 5;
  close(fd);
  char buf[64] = {};
  ssize_t n = read(report[0], buf, sizeof(buf) - 1);
  int status = 0;
  waitpid(child, &status, 0);
  if (!ok || n <= 0) return Fail(EIO);
  PrintLine(std::string("read ") + buf);
  return kExitOk;
}

long OpenAt2(int dirfd, const char* path, uint64_t flags, uint64_t mode, uint64_t resolve) {
  struct {
    uint64_t flags, mode, resolve;
  } how = {flags, mode, resolve};
  return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

// The opens a build makes, in DIR (writable): each prints "NAME ok[ details]" or "NAME ERRNO",
// so a run with the FIFO fence can be compared line by line with one without it.
int CmdOpenCases(const Args& args) {
  std::string dir(args[0]);
  std::string out;
  auto line = [&out](const std::string& name, long rc, const std::string& details = "") {
    out += name + " " + (rc < 0 ? ErrnoName(errno) : "ok" + details) + "\n";
  };
  auto fd_details = [](long fd) {
    if (fd < 0) return std::string();
    struct stat st;
    fstat(static_cast<int>(fd), &st);
    int fd_flags = fcntl(static_cast<int>(fd), F_GETFD);
    int fl = fcntl(static_cast<int>(fd), F_GETFL);
    char text[96];
    snprintf(text, sizeof(text), " mode=%o cloexec=%d nonblock=%d append=%d size=%lld",
             st.st_mode & 07777, (fd_flags & FD_CLOEXEC) != 0, (fl & O_NONBLOCK) != 0,
             (fl & O_APPEND) != 0, static_cast<long long>(st.st_size));
    return std::string(text);
  };
  auto done = [](long fd) {
    if (fd >= 0) close(static_cast<int>(fd));
  };
  umask(027);
  std::string file = dir + "/cases.txt";
  long fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  line("create-excl", fd, fd_details(fd));
  if (fd >= 0 && write(static_cast<int>(fd), "abc", 3) != 3) line("write", -1);
  done(fd);
  fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0666);
  line("create-excl-again", fd);
  done(fd);
  fd = open(file.c_str(), O_RDWR | O_APPEND);
  line("append", fd, fd_details(fd));
  if (fd >= 0 && write(static_cast<int>(fd), "d", 1) != 1) line("write", -1);
  done(fd);
  fd = open(file.c_str(), O_WRONLY | O_TRUNC | O_NONBLOCK);
  line("trunc", fd, fd_details(fd));
  done(fd);
  fd = creat((dir + "/creat.txt").c_str(), 0604);
  line("creat", fd, fd_details(fd));
  done(fd);
  mkdir((dir + "/sub").c_str(), 0755);
  int dirfd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  fd = openat(dirfd, "sub/../sub/rel.txt", O_WRONLY | O_CREAT, 0600);
  line("openat-dirfd", fd, fd_details(fd));
  done(fd);
  if (chdir((dir + "/sub").c_str()) != 0) line("chdir", -1);
  fd = open("cwd.txt", O_WRONLY | O_CREAT, 0666);
  line("open-cwd", fd, fd_details(fd));
  done(fd);
  line("cwd-file-there", access((dir + "/sub/cwd.txt").c_str(), F_OK));
  line("symlink", symlink("cases.txt", (dir + "/link").c_str()));
  fd = open((dir + "/link").c_str(), O_WRONLY | O_NOFOLLOW);
  line("nofollow-link", fd);
  done(fd);
  fd = open((dir + "/link").c_str(), O_WRONLY | O_APPEND);
  line("through-link", fd, fd_details(fd));
  done(fd);
  line("symlink-dangling", symlink("new-by-link.txt", (dir + "/dangling").c_str()));
  fd = open((dir + "/dangling").c_str(), O_WRONLY | O_CREAT, 0666);
  line("create-through-link", fd, fd_details(fd));
  done(fd);
  line("created-by-link-there", access((dir + "/new-by-link.txt").c_str(), F_OK));
  fd = open(dir.c_str(), O_WRONLY | O_DIRECTORY);
  line("dir-for-writing", fd);
  done(fd);
  fd = open((dir + "/cases.txt/").c_str(), O_WRONLY);
  line("file-with-slash", fd);
  done(fd);
  fd = open((dir + "/missing/x").c_str(), O_WRONLY | O_CREAT, 0666);
  line("missing-parent", fd);
  done(fd);
  fd = open(dir.c_str(), O_TMPFILE | O_WRONLY, 0600);
  line("tmpfile", fd, fd_details(fd));
  done(fd);
  fd = open("/dev/null", O_WRONLY);
  line("dev-null", fd);
  done(fd);
  fd = open("/dev/stderr", O_WRONLY);
  line("dev-stderr", fd);
  done(fd);
  fd = open("/proc/self/fd/2", O_WRONLY | O_CLOEXEC);
  line("proc-self-fd", fd,
       fd >= 0
           ? " cloexec=" + std::to_string((fcntl(static_cast<int>(fd), F_GETFD) & FD_CLOEXEC) != 0)
           : "");
  done(fd);
  int pipe_fds[2];
  if (pipe(pipe_fds) == 0) {
    // The job's own pipe through the magic links (/dev/fd is /proc/self/fd).
    fd = open(("/dev/fd/" + std::to_string(pipe_fds[1])).c_str(), O_WRONLY);
    line("dev-fd-pipe", fd, fd >= 0 && write(static_cast<int>(fd), "x", 1) == 1 ? " wrote" : "");
    done(fd);
    char got = 0;
    line("dev-fd-pipe-read", read(pipe_fds[0], &got, 1) == 1 && got == 'x' ? 0 : -1);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
  }
  fd = OpenAt2(dirfd, "cases.txt", O_WRONLY | O_CLOEXEC, 0, 0);
  line("openat2", fd, fd_details(fd));
  done(fd);
  fd = OpenAt2(dirfd, "../x", O_WRONLY | O_CREAT, 0600, RESOLVE_BENEATH);
  line("openat2-beneath-dotdot", fd);
  done(fd);
  fd = OpenAt2(dirfd, "/cases.txt", O_RDONLY, 0, RESOLVE_IN_ROOT);
  line("openat2-in-root", fd, fd_details(fd));
  done(fd);
  fd = OpenAt2(dirfd, "link", O_WRONLY, 0, RESOLVE_NO_SYMLINKS);
  line("openat2-no-symlinks", fd);
  done(fd);
  fd = OpenAt2(dirfd, "new2.txt", O_WRONLY | O_CREAT | O_EXCL, 0640, 0);
  line("openat2-create", fd, fd_details(fd));
  done(fd);
  fd = OpenAt2(dirfd, "cases.txt", O_RDONLY, 0644, 0);
  line("openat2-mode-without-creat", fd);
  done(fd);
  fd = OpenAt2(AT_FDCWD, "/proc/self/fd/1", O_WRONLY, 0, RESOLVE_NO_MAGICLINKS);
  line("openat2-no-magiclinks", fd);
  done(fd);
  close(dirfd);
  Print(out);
  return kExitOk;
}

// ---------------------------------------------------------------------------------------------
// Commands: calls the seccomp filter is expected to refuse, through each ABI the kernel takes.

// Syscall numbers of the calls abi-call knows, per ABI: x86_64 (and x32, which adds bit 30)
// and i386 (int 0x80, reachable from a 64-bit process).
struct AbiCall {
  std::string_view name;
  long x86_64;
  long i386;
  long args[3];
};
constexpr long kKeySpecSessionKeyring = -3;
constexpr AbiCall kAbiCalls[] = {
    {"keyctl", 250, 288, {0 /* KEYCTL_GET_KEYRING_ID */, kKeySpecSessionKeyring, 0}},
    {"getpid", 39, 20, {0, 0, 0}},
    {"unshare-user", 272, 310, {CLONE_NEWUSER, 0, 0}},
    {"personality-query", 135, 136, {0xffffffffL, 0, 0}},
};

long Int80(long nr, long a, long b, long c, long d) {
  long ret = nr;
  // The 32-bit entry point from 64-bit code: arguments in ebx, ecx, edx, esi; r8-r11 are
  // clobbered.
  asm volatile("int $0x80"
               : "+a"(ret)
               : "b"(a), "c"(b), "d"(c), "S"(d)
               : "memory", "r8", "r9", "r10", "r11");
  return static_cast<int>(ret);  // eax, sign-extended: -errno on failure
}

// Kernels built or booted without IA32 emulation (CONFIG_IA32_EMULATION off, or
// ia32_emulation=false) answer int 0x80 with SIGSEGV: try it in a child first.
bool KernelRunsI386() {
  pid_t child = fork();
  if (child == 0) _exit(Int80(20 /* getpid */, 0, 0, 0) > 0 ? 0 : 1);
  int status = 0;
  if (child < 0 || waitpid(child, &status, 0) != child) return true;  // let the call itself say
  return !WIFSIGNALED(status);
}

int CmdAbiCall(const Args& args) {
  const AbiCall* call = nullptr;
  for (const AbiCall& c : kAbiCalls) {
    if (c.name == args[1]) call = &c;
  }
  if (call == nullptr) return BadArg("call", args[1]);
  long ret;
  if (args[0] == "x86_64") {
    ret = syscall(call->x86_64, call->args[0], call->args[1], call->args[2]);
    if (ret < 0) return Fail(errno);
  } else if (args[0] == "x32") {
    ret = syscall(call->x86_64 | kX32SyscallBit, call->args[0], call->args[1], call->args[2]);
    if (ret < 0) return Fail(errno);
  } else if (args[0] == "i386") {
    if (!KernelRunsI386()) {
      PrintLine("unsupported: this kernel runs no i386 code");
      return 1;
    }
    ret = Int80(call->i386, call->args[0], call->args[1], call->args[2]);
    if (ret < 0 && ret > -4096) return Fail(static_cast<int>(-ret));
  } else {
    return BadArg("abi", args[0]);
  }
  PrintLine("ok " + std::to_string(ret));
  return kExitOk;
}

int CmdSocket(const Args& args) {
  int64_t family = 0;
  if (!ParseInt(args[0], 0, 1000, &family)) return BadArg("family", args[0]);
  int fd = socket(static_cast<int>(family), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    // SOCK_STREAM is not every family's type; the family is what is under test.
    if (errno == ESOCKTNOSUPPORT || errno == EPROTONOSUPPORT || errno == EINVAL) {
      fd = socket(static_cast<int>(family), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    }
    if (fd < 0) return Fail(errno);
  }
  close(fd);
  return Ok();
}

int CmdPersonality(const Args& args) {
  int64_t value = 0;
  if (!ParseInt(args[0], 0, 0xffffffffL, &value)) return BadArg("value", args[0]);
  long ret = syscall(SYS_personality, static_cast<unsigned long>(value));
  if (ret < 0) return Fail(errno);
  PrintLine("ok " + std::to_string(ret));
  return kExitOk;
}

// A host where user namespaces are refused, as a container runtime's seccomp profile refuses
// them: unshare and clone with CLONE_NEWUSER fail with EPERM, clone3 (flags in memory) with
// ENOSYS so libc falls back to clone. Then PROGRAM is executed with the filter on.
int CmdNoUserns(const Args& args) {
  constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;
  struct sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, kAllow),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_unshare, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_NEWUSER, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_STMT(BPF_RET | BPF_K, kAllow),
  };
  struct sock_fprog fprog = {static_cast<unsigned short>(sizeof(program) / sizeof(program[0])),
                             program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return Fail(errno);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0) return Fail(errno);
  std::vector<std::string> owned(args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : owned) argv.push_back(arg.data());
  argv.push_back(nullptr);
  execv(argv[0], argv.data());
  return Fail(errno);
}

// A TCP connection to 127.0.0.1:PORT: "ok", or the error of socket(2) or connect(2).
int CmdTcpConnect(const Args& args) {
  int64_t port = 0;
  if (!ParseInt(args[0], 1, 65535, &port)) return BadArg("port", args[0]);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Fail(errno);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  int err = errno;
  close(fd);
  if (rc != 0) return Fail(err);
  return Ok();
}

// ---------------------------------------------------------------------------------------------
// Dispatch.

struct Command {
  std::string_view name;
  size_t min_args;
  size_t max_args;
  std::string_view usage;
  int (*run)(const Args&);
};

constexpr Command kCommands[] = {
    {"pids", 0, 0, "", CmdPids},
    {"exists", 1, 1, "PATH", CmdExists},
    {"write", 1, 2, "PATH [CONTENT]", CmdWrite},
    {"read", 1, 1, "PATH", CmdRead},
    {"mkdir", 1, 1, "PATH", CmdMkdir},
    {"symlink", 2, 2, "TARGET LINKPATH", CmdSymlink},
    {"status", 0, 0, "", CmdStatus},
    {"ids", 0, 0, "", CmdIds},
    {"fds", 0, 0, "", CmdFds},
    {"fd-links", 0, 0, "", CmdFdLinks},
    {"env", 0, 0, "", CmdEnv},
    {"environ-of", 1, 1, "PID", CmdEnvironOf},
    {"hostname", 0, 0, "", CmdHostname},
    {"cwd", 0, 0, "", CmdCwd},
    {"netifs", 0, 0, "", CmdNetifs},
    {"tcp", 0, 0, "", CmdTcp},
    {"msgq", 1, 1, "KEY", CmdMsgq},
    {"msgq-create", 1, 1, "KEY", CmdMsgqCreate},
    {"msgq-remove", 1, 1, "KEY", CmdMsgqRemove},
    {"exit", 1, 1, "N", CmdExit},
    {"kill-self", 1, 1, "SIG", CmdKillSelf},
    {"signal", 2, 2, "PID N", CmdSignal},
    {"wait-term", 1, 1, "CODE", CmdWaitTerm},
    {"wait-file", 1, 1, "PATH", CmdWaitFile},
    {"ignore-term", 0, 0, "", CmdIgnoreTerm},
    {"inotify-init", 0, 0, "", CmdInotifyInit},
    {"inotify-grab", 1, 1, "PATH", CmdInotifyGrab},
    {"sleep", 1, 1, "SECONDS", CmdSleep},
    {"daemon", 1, 2, "NAME [SECONDS]", CmdDaemon},
    {"mounts", 0, 0, "", CmdMounts},
    {"ls", 1, 1, "DIR", CmdLs},
    {"setsid-check", 0, 0, "", CmdSetsidCheck},
    {"ioctl-tiocsti", 0, 0, "", CmdIoctlTiocsti},
    {"tty-ioctl", 2, 3, "setd|cons|vhangup|sserial|kdsetmode|kdskbmode|getd stdin|new-pty [high]",
     CmdTtyIoctl},
    {"unshare-user", 0, 0, "", CmdUnshareUser},
    {"clone-newuser", 0, 0, "", CmdCloneNewuser},
    {"ptrace-child", 0, 0, "", CmdPtraceChild},
    {"ptrace-seize", 1, 1, "PID", CmdPtraceSeize},
    {"watch-attach", 2, 2, "STOPFILE EXEC_COMM", CmdWatchAttach},
    {"fd-openat", 2, 2, "FD PATH", CmdFdOpenat},
    {"stat-mode", 1, 1, "PATH", CmdStatMode},
    {"statfs-type", 1, 1, "PATH", CmdStatfsType},
    {"statfs-size", 1, 1, "PATH", CmdStatfsSize},
    {"fill", 1, 1, "FILE", CmdFill},
    {"write-in-tmpfs", 1, 1, "DIR", CmdWriteInTmpfs},
    {"fork-bomb", 1, 1, "COUNT", CmdForkBomb},
    {"rlimit", 1, 1, "NAME", CmdRlimit},
    {"abi-call", 2, 2, "x86_64|i386|x32 keyctl|getpid|unshare-user|personality-query", CmdAbiCall},
    {"socket", 1, 1, "FAMILY", CmdSocket},
    {"personality", 1, 1, "VALUE", CmdPersonality},
    {"unix-connect", 2, 2, "PATH stream|dgram|seqpacket", CmdUnixConnect},
    {"unix-sendto", 1, 1, "PATH", CmdUnixSendto},
    {"unix-self", 1, 1, "DIR", CmdUnixSelf},
    {"unix-backlog", 1, 1, "DIR", CmdUnixBacklog},
    {"unix-sendmsg", 2, 3, "PATH msg|mmsg [x86_64|i386|x32]", CmdUnixSendmsg},
    {"sendmsg-local", 0, 0, "", CmdSendmsgLocal},
    {"sendmsg-creds", 0, 0, "", CmdSendmsgCreds},
    {"netlink-group-send", 0, 0, "", CmdNetlinkGroupSend},
    {"open-write", 1, 1, "PATH", CmdOpenWrite},
    {"no-userns", 1, 64, "PROGRAM [ARGS...]", CmdNoUserns},
    {"tcp-connect", 1, 1, "PORT", CmdTcpConnect},
    {"fifo-write", 1, 1, "PATH", CmdFifoWrite},
    {"fifo-pair", 1, 1, "DIR", CmdFifoPair},
    {"open-cases", 1, 1, "DIR", CmdOpenCases},
};

// Built with append only: g++ 12 at -O3 sees `"literal" + std::string(...)` inline into a
// memcpy it wrongly believes may overlap (-Werror=restrict, GCC bug 105329).
int Usage(std::string_view problem) {
  std::string msg = "probe: ";
  msg.append(problem).append("\nusage: probe COMMAND [ARGS...]\n");
  for (const Command& command : kCommands) {
    msg.append("  ").append(command.name);
    if (!command.usage.empty()) msg.append(" ").append(command.usage);
    msg.append("\n");
  }
  WriteAll(STDERR_FILENO, msg);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage("missing command");
  std::string_view name = argv[1];
  Args args(argv + 2, argv + argc);
  for (const Command& command : kCommands) {
    if (command.name != name) continue;
    if (args.size() < command.min_args || args.size() > command.max_args) {
      return Usage("wrong number of arguments for '" + std::string(name) + "'");
    }
    return command.run(args);
  }
  return Usage("unknown command '" + std::string(name) + "'");
}

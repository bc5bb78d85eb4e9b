#include "seccomp/open_mediator.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "seccomp/as_the_job.h"
#include "seccomp/path_walk.h"

namespace sandbox::seccomp {
namespace {

constexpr uint64_t kX32SyscallBit = 0x40000000;  // __X32_SYSCALL_BIT
constexpr unsigned kPidfdThread = O_EXCL;        // PIDFD_THREAD (Linux 6.9)
constexpr int kGone = -1;
constexpr int kParkedResult = -2;
constexpr int kCreateRetries = 4;  // a name made and removed by another process meanwhile
// openat2's limits (fs/open.c build_open_flags): the flags open(2) knows, the resolve flags.
constexpr uint64_t kLargeFile = 0100000;  // the kernel's O_LARGEFILE (glibc's is 0 on 64-bit)
constexpr uint64_t kValidOpenFlags = kLargeFile | O_RDONLY | O_WRONLY | O_RDWR | O_CREAT | O_EXCL |
                                     O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | FASYNC |
                                     O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |
                                     O_CLOEXEC | O_PATH | O_TMPFILE | O_SYNC;
constexpr uint64_t kValidResolve = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
                                   RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED;
constexpr size_t kOpenHowSize = 24;   // OPEN_HOW_SIZE_VER0
constexpr size_t kMaxHowSize = 4096;  // PAGE_SIZE: copy_struct_from_user's E2BIG beyond

bool WillCreate(uint64_t flags) {
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

// A status file's field ("Umask", "Tgid", "NSpid") as text; empty if absent.
std::string StatusField(int proc, const std::string& pid_path, const char* field) {
  UniqueFd fd(::openat(proc, (pid_path + "/status").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return {};
  char buf[2048];
  ssize_t n = ::read(fd.get(), buf, sizeof(buf) - 1);
  if (n <= 0) return {};
  buf[n] = '\0';
  std::string key = std::string("\n") + field + ":";
  const char* at = std::strstr(buf, key.c_str());
  if (at == nullptr) return {};
  at += key.size();
  while (*at == '\t' || *at == ' ') ++at;
  const char* end = std::strchr(at, '\n');
  return std::string(at, end == nullptr ? std::strlen(at) : static_cast<size_t>(end - at));
}

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Reads a NUL-terminated path of at most PATH_MAX bytes, page by page (a path near the end of a
// mapping must not fail for the bytes beyond it): 0, EFAULT, ENAMETOOLONG or ENOENT (empty).
int ReadPath(int memory, uint64_t address, std::string* out) {
  constexpr uint64_t kPage = 4096;
  out->clear();
  while (out->size() < PATH_MAX) {
    size_t chunk = static_cast<size_t>(kPage - (address % kPage));
    char buf[kPage];
    ssize_t n = ::pread(memory, buf, chunk, static_cast<off_t>(address));
    if (n <= 0) return EFAULT;
    const char* nul = static_cast<const char*>(std::memchr(buf, '\0', static_cast<size_t>(n)));
    if (nul != nullptr) {
      out->append(buf, static_cast<size_t>(nul - buf));
      if (out->size() >= PATH_MAX) return ENAMETOOLONG;
      return out->empty() ? ENOENT : 0;
    }
    out->append(buf, static_cast<size_t>(n));
    address += static_cast<uint64_t>(n);
  }
  return ENAMETOOLONG;
}

// The caller's umask applies to what is created for it, as the kernel applies it (not where
// the directory has a default ACL, which replaces it): set as this process's for the call.
class CallersUmask {
 public:
  explicit CallersUmask(mode_t mask) : saved_(::umask(mask)) {}
  ~CallersUmask() { ::umask(saved_); }
  CallersUmask(const CallersUmask&) = delete;
  CallersUmask& operator=(const CallersUmask&) = delete;

 private:
  mode_t saved_;
};

}  // namespace

bool OpenMediator::Handles(std::string_view syscall) {
  return syscall == "open" || syscall == "openat" || syscall == "creat" || syscall == "openat2";
}

OpenMediator::OpenMediator(int proc_dir, bool log_only) : proc_dir_(proc_dir), log_only_(log_only) {
  if (proc_dir_ < 0) {
    own_proc_.Reset(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
    proc_dir_ = own_proc_.get();
  }
}

bool OpenMediator::Valid(int fd, uint64_t id) const {
  return ::ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

void OpenMediator::Respond(int fd, uint64_t id, const Answer& answer) {
  if (answer.file) {
    struct seccomp_notif_addfd add = {};
    add.id = id;
    add.flags = SECCOMP_ADDFD_FLAG_SEND;  // the new number is the call's result (Linux 5.14)
    add.srcfd = static_cast<uint32_t>(answer.file.get());
    add.newfd_flags = answer.cloexec ? O_CLOEXEC : 0;
    if (::ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0) return;
    if (errno != EINVAL) return;  // ENOENT: the caller is gone
    // Before 5.14: add the descriptor, then answer with its number.
    add.flags = 0;
    int number = ::ioctl(fd, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
    struct seccomp_notif_resp response = {};
    response.id = id;
    if (number >= 0) {
      response.val = number;
    } else {
      response.error = -errno;
    }
    (void)::ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &response);
    return;
  }
  struct seccomp_notif_resp response = {};
  response.id = id;
  response.error = -(answer.error != 0 ? answer.error : EIO);
  (void)::ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &response);
}

int OpenMediator::Read(int fd, const seccomp_notif& request, std::string_view syscall,
                       Request* r) const {
  r->pid = static_cast<pid_t>(request.pid);
  const bool compat =
      request.data.arch == AUDIT_ARCH_I386 || (request.data.nr & kX32SyscallBit) != 0;
  const __u64* args = request.data.args;
  auto pointer = [compat](uint64_t value) { return compat ? value & 0xffffffffu : value; };
  uint64_t path_at = 0;
  uint64_t how_at = 0;
  uint64_t how_size = 0;
  r->dirfd = AT_FDCWD;
  if (syscall == "open") {
    path_at = pointer(args[0]);
    r->flags = static_cast<uint32_t>(args[1]);
    r->mode = static_cast<uint32_t>(args[2]);
  } else if (syscall == "creat") {
    path_at = pointer(args[0]);
    r->flags = O_CREAT | O_WRONLY | O_TRUNC;
    r->mode = static_cast<uint32_t>(args[1]);
  } else {
    r->dirfd = static_cast<int>(args[0]);
    path_at = pointer(args[1]);
    if (syscall == "openat") {
      r->flags = static_cast<uint32_t>(args[2]);
      r->mode = static_cast<uint32_t>(args[3]);
    } else {
      how_at = pointer(args[2]);
      how_size = args[3];
    }
  }
  UniqueFd memory(
      ::openat(proc_dir_, (std::to_string(r->pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC));
  // Opened, then checked: the pid named the caller, not a process that reused the number. A
  // live caller whose memory is closed to us (it made itself non-dumpable) gets EACCES rather
  // than no answer at all.
  if (!Valid(fd, request.id)) return kGone;
  if (!memory) return EACCES;
  if (syscall == "openat2") {
    // copy_struct_from_user: a larger struct is fine if the part we do not know is zero.
    if (how_size < kOpenHowSize) return EINVAL;
    if (how_size > kMaxHowSize) return E2BIG;
    std::vector<char> how(how_size);
    if (::pread(memory.get(), how.data(), how.size(), static_cast<off_t>(how_at)) !=
        static_cast<ssize_t>(how.size())) {
      return EFAULT;
    }
    for (size_t i = kOpenHowSize; i < how.size(); ++i) {
      if (how[i] != 0) return E2BIG;
    }
    struct open_how parsed;
    std::memcpy(&parsed, how.data(), kOpenHowSize);
    r->flags = parsed.flags;
    r->mode = parsed.mode;
    r->resolve = parsed.resolve;
    // build_open_flags's refusals, which the kernel makes before it looks at the path.
    if ((r->flags & ~kValidOpenFlags) != 0 || (r->resolve & ~kValidResolve) != 0) return EINVAL;
    if (WillCreate(r->flags) ? (r->mode & ~uint64_t{07777}) != 0 : r->mode != 0) return EINVAL;
    if ((r->resolve & RESOLVE_BENEATH) != 0 && (r->resolve & RESOLVE_IN_ROOT) != 0) return EINVAL;
    if ((r->resolve & RESOLVE_CACHED) != 0 && (r->flags & (O_TRUNC | O_CREAT | O_TMPFILE)) != 0) {
      return EAGAIN;
    }
  } else {
    // open(2) and openat(2) drop what they do not know and a mode without O_CREAT.
    r->flags &= kValidOpenFlags;
    r->mode = WillCreate(r->flags) ? r->mode & 07777 : 0;
  }
  // O_TMPFILE takes a directory and no O_CREAT (O_TMPFILE_MASK in build_open_flags).
  constexpr uint64_t kTmpfileBit = O_TMPFILE & ~uint64_t{O_DIRECTORY};  // __O_TMPFILE
  if ((r->flags & kTmpfileBit) != 0 && (r->flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE) {
    return EINVAL;
  }
  return ReadPath(memory.get(), path_at, &r->path);
}

std::string OpenMediator::ProcSelf(pid_t tid, int proc_root, bool thread) const {
  // The caller as that procfs shows it: the pid in its pid namespace, found as the entry whose
  // NSpid list is the tail of the caller's own list (innermost namespaces first tried).
  std::string tgid = StatusField(proc_dir_, std::to_string(tid), "Tgid");
  std::vector<std::string> process = Words(StatusField(proc_dir_, tgid, "NSpid"));
  std::vector<std::string> task = Words(StatusField(proc_dir_, std::to_string(tid), "NSpid"));
  for (size_t i = process.size(); i-- > 0;) {
    std::vector<std::string> seen = Words(StatusField(proc_root, process[i], "NSpid"));
    if (seen !=
        std::vector<std::string>(process.begin() + static_cast<std::ptrdiff_t>(i), process.end())) {
      continue;
    }
    if (!thread) return process[i];
    if (i >= task.size()) return {};
    return process[i] + "/task/" + task[i];
  }
  return {};
}

int OpenMediator::ControllingTerminal(pid_t pid, int pidfd, int flags, UniqueFd* out) const {
  // /dev/tty is the opener's controlling terminal; opened here it would be the supervisor's
  // (the caller's own terminal). The job's is field 7 of its stat; the job has it open on one
  // of its standard descriptors (a session leader gets it from there), which is reopened.
  UniqueFd stat(::openat(proc_dir_, (std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC));
  char buf[1024];
  ssize_t n = stat ? ::read(stat.get(), buf, sizeof(buf) - 1) : -1;
  if (n <= 0) return ENXIO;
  buf[n] = '\0';
  const char* after_comm = std::strrchr(buf, ')');
  if (after_comm == nullptr) return ENXIO;
  unsigned long tty = 0;
  char state;
  int ppid, pgrp, session;
  if (std::sscanf(after_comm + 1, " %c %d %d %d %lu", &state, &ppid, &pgrp, &session, &tty) != 5 ||
      tty == 0) {
    return ENXIO;
  }
  for (int number = 0; number <= 2; ++number) {
    UniqueFd copy(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, number, 0)));
    struct stat st;
    if (!copy || ::fstat(copy.get(), &st) != 0 || !S_ISCHR(st.st_mode) || st.st_rdev != tty) {
      continue;
    }
    return Reopen(copy.get(), flags, true, out);
  }
  return ENXIO;
}

int OpenMediator::Reopen(int target, int flags, bool nonblock_asked, UniqueFd* out) const {
  std::string self = "self/fd/" + std::to_string(target);
  out->Reset(::openat(proc_dir_, self.c_str(), flags));
  if (!*out) return errno;
  if (!nonblock_asked && (flags & O_NONBLOCK) != 0) {
    int status = ::fcntl(out->get(), F_GETFL);
    if (status >= 0) ::fcntl(out->get(), F_SETFL, status & ~O_NONBLOCK);
  }
  return 0;
}

int OpenMediator::Open(const Request& r, int pidfd, Answer* answer, Parked* parked) {
  const std::string pid = std::to_string(r.pid);
  const bool relative = r.path[0] != '/';
  const bool scoped = (r.resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) != 0;
  // Where the walk starts: the caller's cwd or its dirfd (the object, taken now).
  UniqueFd start;
  if (r.dirfd == AT_FDCWD) {
    start.Reset(::openat(proc_dir_, (pid + "/cwd").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!start) return errno == ENOENT ? kGone : EACCES;
  } else if (relative || scoped) {
    start.Reset(static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, r.dirfd, 0)));
    if (!start) return errno == ESRCH ? kGone : EBADF;
    struct stat st;
    if (::fstat(start.get(), &st) != 0 || !S_ISDIR(st.st_mode)) return ENOTDIR;
  }
  UniqueFd root;
  if (!scoped) {
    root.Reset(::openat(proc_dir_, (pid + "/root").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return errno == ENOENT ? kGone : EACCES;
  }
  if (!start) start.Reset(::fcntl(root.get(), F_DUPFD_CLOEXEC, 0));

  mode_t umask = 022;
  if (WillCreate(r.flags)) {
    umask =
        static_cast<mode_t>(std::strtoul(StatusField(proc_dir_, pid, "Umask").c_str(), nullptr, 8));
  }
  const int accmode = static_cast<int>(r.flags & O_ACCMODE);
  const bool excl = (r.flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
  WalkOptions options;
  options.root = scoped ? start.get() : root.get();
  options.resolve = r.resolve;
  options.follow_last = (r.flags & O_NOFOLLOW) == 0 && !excl;
  options.proc_self = [this, &r](int proc_root, bool thread) {
    return ProcSelf(r.pid, proc_root, thread);
  };
  // What is opened never waits here, never becomes our controlling terminal, and stays ours
  // alone (the caller's own O_CLOEXEC goes with ADDFD).
  int reopen = static_cast<int>(r.flags & ~static_cast<uint64_t>(O_CREAT | O_EXCL | O_NOFOLLOW)) |
               O_CLOEXEC | O_NOCTTY;
  const bool nonblock_asked = (r.flags & O_NONBLOCK) != 0;

  AsTheJob as_job(proc_dir_, false);
  if (!as_job.ok()) return EPERM;
  for (int attempt = 0; attempt < kCreateRetries; ++attempt) {
    WalkResult walk;
    int err = WalkPath(options, start.get(), r.path, &walk);
    if (err == ENOENT && walk.parent && (r.flags & O_CREAT) != 0) {
      if (walk.must_be_dir) return EISDIR;
      // A new file of the caller's, made in the directory the walk resolved: not a FIFO.
      CallersUmask mask(umask);
      answer->file.Reset(::openat(walk.parent.get(), walk.last.c_str(),
                                  reopen | O_CREAT | O_EXCL | O_NOFOLLOW,
                                  static_cast<mode_t>(r.mode)));
      if (answer->file) return 0;
      if (errno == EEXIST && !excl) continue;  // made meanwhile: open what is there now
      return errno;
    }
    if (err != 0) return err;
    if (excl) return EEXIST;
    if (walk.last_is_link) {
      if ((r.flags & O_PATH) == 0) return ELOOP;
      answer->file = std::move(walk.target);
      return 0;
    }
    struct stat st;
    struct statfs fs;
    if (::fstat(walk.target.get(), &st) != 0 || ::fstatfs(walk.target.get(), &fs) != 0) {
      return errno;
    }
    if ((r.flags & O_DIRECTORY) != 0 && !S_ISDIR(st.st_mode)) return ENOTDIR;
    // may_open's answer for a directory opened for writing (before O_PATH and O_TMPFILE, which
    // take a directory).
    if (S_ISDIR(st.st_mode) && accmode != O_RDONLY && (r.flags & O_PATH) == 0 &&
        (r.flags & O_TMPFILE) != O_TMPFILE) {
      return EISDIR;
    }
    if ((r.flags & O_PATH) != 0) {
      answer->file = std::move(walk.target);
      return 0;
    }
    if ((r.flags & O_TMPFILE) == O_TMPFILE) {
      CallersUmask mask(umask);
      answer->file.Reset(::openat(walk.target.get(), ".", reopen, static_cast<mode_t>(r.mode)));
      return answer->file ? 0 : errno;
    }
    bool special = S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode);
    if (special && (fs.f_flags & ST_RDONLY) != 0 && accmode != O_RDONLY) {
      // A read-only mount brings in what lies on the host: its FIFOs are pipes into host
      // processes, its devices the host's.
      answer->denied = true;
      if (!log_only_) return EACCES;  // as Landlock's missing LANDLOCK_ACCESS_FS_WRITE_FILE
    }
    if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 0)) {
      return ControllingTerminal(r.pid, pidfd, reopen, &answer->file);
    }
    // Never waits here: a FIFO opened for writing alone waits for a reader (below), one opened
    // for reading alone through openat2 does not wait for a writer (reads see EOF until one).
    if (S_ISFIFO(st.st_mode)) reopen |= O_NONBLOCK;
    err = Reopen(walk.target.get(), reopen, nonblock_asked, &answer->file);
    if (err == ENXIO && S_ISFIFO(st.st_mode) && !nonblock_asked) {
      // No reader yet: a blocking open waits for one, here by trying again (RetryParked).
      parked->target = std::move(walk.target);
      parked->flags = reopen;
      return kParkedResult;
    }
    return err;
  }
  return EEXIST;
}

OpenMediator::Disposition OpenMediator::Handle(int fd, const seccomp_notif& request,
                                               std::string_view syscall, Answer* answer) {
  *answer = Answer{};
  Request r;
  int err = Read(fd, request, syscall, &r);
  if (err == kGone) return Disposition::kGone;
  if (err != 0) {
    answer->error = err;
    return Disposition::kAnswer;
  }
  answer->cloexec = (r.flags & O_CLOEXEC) != 0;
  long pidfd = ::syscall(SYS_pidfd_open, r.pid, kPidfdThread);
  if (pidfd < 0 && errno == EINVAL) {
    pidfd = ::syscall(SYS_pidfd_open,
                      std::atoi(StatusField(proc_dir_, std::to_string(r.pid), "Tgid").c_str()), 0);
  }
  UniqueFd process(static_cast<int>(pidfd));
  if (!process || !Valid(fd, request.id)) return Disposition::kGone;
  Parked parked;
  err = Open(r, process.get(), answer, &parked);
  if (err == kGone || !Valid(fd, request.id)) return Disposition::kGone;
  if (err == kParkedResult) {
    if (parked_.size() >= kMaxParked) {
      answer->error = EAGAIN;
      return Disposition::kAnswer;
    }
    parked.id = request.id;
    parked.cloexec = answer->cloexec;
    parked_.push_back(std::move(parked));
    return Disposition::kParked;
  }
  answer->error = err;
  return Disposition::kAnswer;
}

void OpenMediator::RetryParked(int fd) {
  AsTheJob as_job(proc_dir_, false);
  for (size_t i = 0; i < parked_.size();) {
    Parked& p = parked_[i];
    if (Valid(fd, p.id)) {
      Answer answer;
      answer.cloexec = p.cloexec;
      int err = as_job.ok() ? Reopen(p.target.get(), p.flags, false, &answer.file) : EPERM;
      if (err == ENXIO) {
        ++i;
        continue;
      }
      answer.error = err;
      Respond(fd, p.id, answer);
    }
    parked_.erase(parked_.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

}  // namespace sandbox::seccomp

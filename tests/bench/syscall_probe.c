// syscall_probe: makes COUNT cheap system calls in a tight loop and prints the mean cost of
// one, in nanoseconds, so scripts/bench can compare a bare run with runs under seccomp filters.
//
// usage: syscall_probe getppid|ioctl|connect-unix|connect-tcp|sendmsg|open-write [COUNT]
//                                  (COUNT default 5000000; connects, sendmsg, opens 20000)
//   getppid: syscall(SYS_getppid), a call no filter rule looks at beyond its number.
//   ioctl:   ioctl(pipe, FIONREAD), a call with argument rules (TIOCSTI, TIOCLINUX) in the
//            sandbox's default policy, so the filter has to compare its arguments.
//   connect-unix, connect-tcp: one connection per iteration to a listener of the probe's own
//            (a unix stream socket in /tmp, TCP on 127.0.0.1): socket, connect, accept, close
//            both. The sandbox's supervisor makes every connect (the socket fence), so this
//            prices that round trip against a connect the kernel makes alone.
//   sendmsg: one 64-byte datagram per iteration over a socketpair (no address, no control
//            data: the commonest sendmsg there is), sendmsg then recv. The supervisor makes
//            every sendmsg too (its address is in memory), so this prices that.
//   open-write: open(O_WRONLY|O_CREAT) and close of one file in /tmp per iteration. Without
//            Landlock the supervisor makes every write-open (the FIFO fence), so this prices
//            that; with Landlock the filter leaves opens alone.
// Output: "<name> <count> <mean ns per call> <best ns per call> <seccomp mode>"
//   mean: over all COUNT calls; best: the fastest of 10 equal chunks, which leaves out most
//   of the preemptions and interrupts a busy machine adds; seccomp mode: the "Seccomp:" field
//   of /proc/self/status (0 none, 2 filter, -1 no /proc).
//
// Build it static (cc -O2 -static): a probe that needs no loader runs the same everywhere.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long NowNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// The "Seccomp:" field of /proc/self/status (0 none, 2 filter), or -1 when /proc is missing.
static int SeccompMode(void) {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == NULL) return -1;
  char line[256];
  int mode = -1;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "Seccomp:", 8) == 0) mode = atoi(line + 8);
  }
  fclose(f);
  return mode;
}

// The listener and address for the connect benchmarks; -1 on failure.
static int Listen(int tcp, struct sockaddr_storage* addr, socklen_t* len) {
  memset(addr, 0, sizeof(*addr));
  int fd = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (tcp) {
    struct sockaddr_in* in = (struct sockaddr_in*)addr;
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *len = sizeof(*in);
  } else {
    struct sockaddr_un* un = (struct sockaddr_un*)addr;
    un->sun_family = AF_UNIX;
    snprintf(un->sun_path, sizeof(un->sun_path), "/tmp/syscall_probe.%d.sock", (int)getpid());
    unlink(un->sun_path);
    *len = sizeof(*un);
  }
  if (bind(fd, (struct sockaddr*)addr, *len) < 0 || listen(fd, 64) < 0) return -1;
  if (tcp && getsockname(fd, (struct sockaddr*)addr, len) < 0) return -1;
  return fd;
}

// One connection: 0, or -1 when a call failed.
static int ConnectOnce(int listener, int tcp, const struct sockaddr_storage* addr, socklen_t len) {
  int c = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c < 0 || connect(c, (const struct sockaddr*)addr, len) < 0) return -1;
  int a = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  if (a < 0) return -1;
  if (tcp) {
    // A reset instead of TIME_WAIT, so 20000 connections do not run out of ports.
    struct linger off = {1, 0};
    setsockopt(c, SOL_SOCKET, SO_LINGER, &off, sizeof(off));
  }
  close(c);
  close(a);
  return 0;
}

static int Connects(const char* name, long count) {
  int tcp = strcmp(name, "connect-tcp") == 0;
  struct sockaddr_storage addr;
  socklen_t len;
  int listener = Listen(tcp, &addr, &len);
  if (listener < 0) {
    perror("syscall_probe: listen");
    return 1;
  }
  for (int i = 0; i < 200; i++) ConnectOnce(listener, tcp, &addr, len);
  enum { kChunks = 10 };
  long chunk = count / kChunks > 0 ? count / kChunks : 1;
  long done = 0;
  double best = 1e30;
  long long start = NowNs();
  while (done < count) {
    long n = count - done < chunk ? count - done : chunk;
    long long chunk_start = NowNs();
    for (long i = 0; i < n; i++) {
      if (ConnectOnce(listener, tcp, &addr, len) < 0) {
        perror("syscall_probe: connect");
        return 1;
      }
    }
    double per_call = (double)(NowNs() - chunk_start) / (double)n;
    if (per_call < best) best = per_call;
    done += n;
  }
  long long elapsed = NowNs() - start;
  if (!tcp) unlink(((struct sockaddr_un*)&addr)->sun_path);
  printf("%s %ld %.2f %.2f %d\n", name, count, (double)elapsed / (double)count, best,
         SeccompMode());
  return 0;
}

// One sendmsg and one recv per iteration; 0, or 1 when a call failed.
static int Sendmsgs(long count) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) < 0) {
    perror("syscall_probe: socketpair");
    return 1;
  }
  char out[64] = {0}, in[64];
  struct iovec iov = {out, sizeof(out)};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  enum { kChunks = 10 };
  long chunk = count / kChunks > 0 ? count / kChunks : 1;
  long done = 0;
  double best = 1e30;
  for (int i = 0; i < 200; i++) {
    if (sendmsg(pair[0], &m, 0) < 0 || recv(pair[1], in, sizeof(in), 0) < 0) break;
  }
  long long start = NowNs();
  while (done < count) {
    long n = count - done < chunk ? count - done : chunk;
    long long chunk_start = NowNs();
    for (long i = 0; i < n; i++) {
      if (sendmsg(pair[0], &m, 0) != (ssize_t)sizeof(out) ||
          recv(pair[1], in, sizeof(in), 0) != (ssize_t)sizeof(in)) {
        perror("syscall_probe: sendmsg");
        return 1;
      }
    }
    double per_call = (double)(NowNs() - chunk_start) / (double)n;
    if (per_call < best) best = per_call;
    done += n;
  }
  long long elapsed = NowNs() - start;
  printf("sendmsg %ld %.2f %.2f %d\n", count, (double)elapsed / (double)count, best, SeccompMode());
  return 0;
}

// One open(O_WRONLY|O_CREAT) and close per iteration; 0, or 1 when a call failed.
static int OpenWrites(long count) {
  char path[64];
  snprintf(path, sizeof(path), "/tmp/syscall_probe-open-%d", (int)getpid());
  for (int i = 0; i < 200; i++) {
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) close(fd);
  }
  enum { kChunks = 10 };
  long chunk = count / kChunks > 0 ? count / kChunks : 1;
  long done = 0;
  double best = 1e30;
  long long start = NowNs();
  while (done < count) {
    long n = count - done < chunk ? count - done : chunk;
    long long chunk_start = NowNs();
    for (long i = 0; i < n; i++) {
      int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) {
        perror("syscall_probe: open");
        return 1;
      }
      close(fd);
    }
    double per_call = (double)(NowNs() - chunk_start) / (double)n;
    if (per_call < best) best = per_call;
    done += n;
  }
  long long elapsed = NowNs() - start;
  unlink(path);
  printf("open-write %ld %.2f %.2f %d\n", count, (double)elapsed / (double)count, best,
         SeccompMode());
  return 0;
}

int main(int argc, char** argv) {
  int connects =
      argc >= 2 && (strcmp(argv[1], "connect-unix") == 0 || strcmp(argv[1], "connect-tcp") == 0);
  int sends = argc >= 2 && strcmp(argv[1], "sendmsg") == 0;
  int opens = argc >= 2 && strcmp(argv[1], "open-write") == 0;
  if (argc < 2 || (!connects && !sends && !opens && strcmp(argv[1], "getppid") != 0 &&
                   strcmp(argv[1], "ioctl") != 0)) {
    fprintf(stderr,
            "usage: syscall_probe getppid|ioctl|connect-unix|connect-tcp|sendmsg|open-write "
            "[COUNT]\n");
    return 2;
  }
  if (opens) return OpenWrites(argc > 2 ? strtol(argv[2], NULL, 10) : 20000);
  if (connects) return Connects(argv[1], argc > 2 ? strtol(argv[2], NULL, 10) : 20000);
  if (sends) return Sendmsgs(argc > 2 ? strtol(argv[2], NULL, 10) : 20000);
  long count = argc > 2 ? strtol(argv[2], NULL, 10) : 5000000;
  if (count <= 0) count = 1;
  int is_ioctl = strcmp(argv[1], "ioctl") == 0;
  int fds[2];
  if (is_ioctl && pipe(fds) < 0) {
    perror("syscall_probe: pipe");
    return 1;
  }
  // Warm the path (page faults, caches) before the clock starts.
  for (int i = 0; i < 10000; i++) {
    int n;
    if (is_ioctl)
      syscall(SYS_ioctl, fds[0], FIONREAD, &n);
    else
      syscall(SYS_getppid);
  }
  enum { kChunks = 10 };
  long chunk = count / kChunks > 0 ? count / kChunks : 1;
  long done = 0;
  double best = 1e30;
  long long start = NowNs();
  while (done < count) {
    long n = count - done < chunk ? count - done : chunk;
    long long chunk_start = NowNs();
    if (is_ioctl) {
      int avail;
      for (long i = 0; i < n; i++) syscall(SYS_ioctl, fds[0], FIONREAD, &avail);
    } else {
      for (long i = 0; i < n; i++) syscall(SYS_getppid);
    }
    double per_call = (double)(NowNs() - chunk_start) / (double)n;
    if (per_call < best) best = per_call;
    done += n;
  }
  long long elapsed = NowNs() - start;
  printf("%s %ld %.2f %.2f %d\n", argv[1], count, (double)elapsed / (double)count, best,
         SeccompMode());
  return 0;
}

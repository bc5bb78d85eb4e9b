// syscall_probe: makes COUNT cheap system calls in a tight loop and prints the mean cost of
// one, in nanoseconds, so scripts/bench can compare a bare run with runs under seccomp filters.
//
// usage: syscall_probe getppid|ioctl [COUNT]      (COUNT default 5000000)
//   getppid: syscall(SYS_getppid), a call no filter rule looks at beyond its number.
//   ioctl:   ioctl(pipe, FIONREAD), a call with argument rules (TIOCSTI, TIOCLINUX) in the
//            sandbox's default policy, so the filter has to compare its arguments.
// Output: "<name> <count> <mean ns per call> <best ns per call> <seccomp mode>"
//   mean: over all COUNT calls; best: the fastest of 10 equal chunks, which leaves out most
//   of the preemptions and interrupts a busy machine adds; seccomp mode: the "Seccomp:" field
//   of /proc/self/status (0 none, 2 filter, -1 no /proc).
//
// Build it static (cc -O2 -static): a probe that needs no loader runs the same everywhere.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
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

int main(int argc, char** argv) {
  if (argc < 2 || (strcmp(argv[1], "getppid") != 0 && strcmp(argv[1], "ioctl") != 0)) {
    fprintf(stderr, "usage: syscall_probe getppid|ioctl [COUNT]\n");
    return 2;
  }
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
    if (is_ioctl) syscall(SYS_ioctl, fds[0], FIONREAD, &n);
    else syscall(SYS_getppid);
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

// timeloop: times commands, interleaved, so that drift in the machine (other builds, thermal,
// caches) hits every command alike. Round r runs each command once, starting with command
// r mod K and going round, so no command is always first or always after the same one.
//
// usage: timeloop [-n RUNS] [-w WARMUP] -- LABEL [--fd N=PATH]... CMD [ARGS...] [::: LABEL ...]
//   -n RUNS     measured rounds (default 10)
//   -w WARMUP   unmeasured rounds first (default 1)
//   --fd N=PATH open PATH read-only as descriptor N in the child, afresh for every run
//               (what `bwrap --seccomp N` reads and consumes)
// Prints one line per measured run on stdout: "LABEL<TAB>ROUND<TAB>NANOSECONDS".
// The commands' stdout goes to /dev/null; their stderr is kept. A command that exits non-zero
// or dies stops everything: timeloop prints which and exits 1.
//
// Commands are started with posix_spawnp (clone(CLONE_VM|CLONE_VFORK) in glibc): the cost
// of starting them is small and the same for every command; the clock brackets spawn to reap.
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

enum { kMaxCommands = 16, kMaxFds = 4 };

struct Command {
  const char* label;
  char** argv;
  int fd_count;
  int fd_number[kMaxFds];
  const char* fd_path[kMaxFds];
};

static long long NowNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void Usage(void) {
  fprintf(stderr,
          "usage: timeloop [-n RUNS] [-w WARMUP] -- LABEL [--fd N=PATH]... CMD [ARGS...] "
          "[::: LABEL ...]\n");
  exit(2);
}

// Runs one command to completion; returns its wall time in ns, or -1 after printing why.
static long long RunOnce(const struct Command* c) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  for (int i = 0; i < c->fd_count; i++) {
    posix_spawn_file_actions_addopen(&actions, c->fd_number[i], c->fd_path[i], O_RDONLY, 0);
  }
  long long start = NowNs();
  pid_t pid;
  int rc = posix_spawnp(&pid, c->argv[0], &actions, NULL, c->argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    fprintf(stderr, "timeloop: %s: cannot start %s: %s\n", c->label, c->argv[0], strerror(rc));
    return -1;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0) {
  }
  long long elapsed = NowNs() - start;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "timeloop: %s: %s %d\n", c->label,
            WIFEXITED(status) ? "exited with status" : "killed by signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return -1;
  }
  return elapsed;
}

int main(int argc, char** argv) {
  int runs = 10, warmup = 1;
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) runs = atoi(argv[++i]);
    else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc) warmup = atoi(argv[++i]);
    else Usage();
  }
  if (i >= argc) Usage();
  i++;

  struct Command commands[kMaxCommands];
  int k = 0;
  while (i < argc) {
    if (k == kMaxCommands) Usage();
    struct Command* c = &commands[k++];
    memset(c, 0, sizeof *c);
    c->label = argv[i++];
    while (i + 1 < argc && strcmp(argv[i], "--fd") == 0) {
      char* eq = strchr(argv[i + 1], '=');
      if (eq == NULL || c->fd_count == kMaxFds) Usage();
      *eq = 0;
      c->fd_number[c->fd_count] = atoi(argv[i + 1]);
      c->fd_path[c->fd_count++] = eq + 1;
      i += 2;
    }
    if (i >= argc || strcmp(argv[i], ":::") == 0) Usage();
    c->argv = &argv[i];
    while (i < argc && strcmp(argv[i], ":::") != 0) i++;
    if (i < argc) argv[i++] = NULL;  // ends this command's argv
  }
  if (k == 0) Usage();

  for (int round = -warmup; round < runs; round++) {
    int first = (round + warmup) % k;
    for (int j = 0; j < k; j++) {
      const struct Command* c = &commands[(first + j) % k];
      long long ns = RunOnce(c);
      if (ns < 0) return 1;
      if (round >= 0) printf("%s\t%d\t%lld\n", c->label, round, ns);
    }
    fflush(stdout);
  }
  return 0;
}

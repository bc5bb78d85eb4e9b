// fanout: runs one command once per item, at most P at a time (xargs -P, minus the shell
// quoting), and fails if any run fails. scripts/bench uses it for the per-action benchmark
// (one `cc -c` per generated file) and the scale benchmark (32 sandboxes at once).
//
// usage: fanout -P N (-n COUNT | -l LISTFILE) [--fd N=PATH]... -- CMD [ARGS...]
//   Every "{}" in CMD/ARGS (whole argument or part of one) becomes the item: a line of
//   LISTFILE, or the index 0..COUNT-1 with -n.
//   --fd N=PATH opens PATH read-only as descriptor N in each child, afresh (bwrap --seccomp N).
// Exit status: 0 when every run exited 0; otherwise 1, after one line per failed run (up to
// ten) on stderr and a count.
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

enum { kMaxFds = 4 };

static void Usage(void) {
  fprintf(stderr,
          "usage: fanout -P N (-n COUNT | -l LISTFILE) [--fd N=PATH]... -- CMD [ARGS...]\n");
  exit(2);
}

// argv with every "{}" replaced by item; allocated, freed by the caller.
static char** Substitute(char** templ, int count, const char* item) {
  char** out = calloc((size_t)count + 1, sizeof *out);
  for (int i = 0; i < count; i++) {
    const char* hole = strstr(templ[i], "{}");
    if (hole == NULL) {
      out[i] = strdup(templ[i]);
      continue;
    }
    size_t len = strlen(templ[i]) - 2 + strlen(item);
    out[i] = malloc(len + 1);
    snprintf(out[i], len + 1, "%.*s%s%s", (int)(hole - templ[i]), templ[i], item, hole + 2);
  }
  return out;
}

static void FreeArgv(char** v) {
  for (char** p = v; *p != NULL; p++) free(*p);
  free(v);
}

int main(int argc, char** argv) {
  int parallel = 1;
  long count = -1;
  const char* list = NULL;
  int fd_count = 0;
  int fd_number[kMaxFds];
  const char* fd_path[kMaxFds];
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (strcmp(argv[i], "-P") == 0 && i + 1 < argc) {
      parallel = atoi(argv[++i]);
    } else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
      count = atol(argv[++i]);
    } else if (strcmp(argv[i], "-l") == 0 && i + 1 < argc) {
      list = argv[++i];
    } else if (strcmp(argv[i], "--fd") == 0 && i + 1 < argc && fd_count < kMaxFds) {
      char* eq = strchr(argv[++i], '=');
      if (eq == NULL) Usage();
      *eq = 0;
      fd_number[fd_count] = atoi(argv[i]);
      fd_path[fd_count++] = eq + 1;
    } else {
      Usage();
    }
  }
  if (i + 1 >= argc || parallel < 1 || (count < 0) == (list == NULL)) Usage();
  char** templ = &argv[i + 1];
  int templ_count = argc - i - 1;

  // Items: the list's lines, or indices.
  char** items = NULL;
  long item_count = 0;
  if (list != NULL) {
    FILE* f = fopen(list, "r");
    if (f == NULL) {
      perror(list);
      return 1;
    }
    char line[4096];
    long cap = 0;
    while (fgets(line, sizeof line, f) != NULL) {
      line[strcspn(line, "\n")] = 0;
      if (line[0] == 0) continue;
      if (item_count == cap) {
        cap = cap ? cap * 2 : 256;
        items = realloc(items, (size_t)cap * sizeof *items);
      }
      items[item_count++] = strdup(line);
    }
    fclose(f);
  } else {
    item_count = count;
    items = calloc((size_t)count + 1, sizeof *items);
    for (long n = 0; n < count; n++) {
      char buf[32];
      snprintf(buf, sizeof buf, "%ld", n);
      items[n] = strdup(buf);
    }
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int f = 0; f < fd_count; f++) {
    posix_spawn_file_actions_addopen(&actions, fd_number[f], fd_path[f], O_RDONLY, 0);
  }

  long next = 0, running = 0, failed = 0;
  while (next < item_count || running > 0) {
    while (running < parallel && next < item_count) {
      char** child_argv = Substitute(templ, templ_count, items[next]);
      pid_t pid;
      int rc = posix_spawnp(&pid, child_argv[0], &actions, NULL, child_argv, environ);
      FreeArgv(child_argv);
      if (rc != 0) {
        fprintf(stderr, "fanout: cannot start %s: %s\n", templ[0], strerror(rc));
        failed++;
      } else {
        running++;
      }
      next++;
    }
    if (running == 0) continue;
    int status;
    pid_t done = wait(&status);
    if (done < 0) continue;
    running--;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      if (failed < 10) {
        fprintf(stderr, "fanout: pid %d %s %d\n", (int)done,
                WIFEXITED(status) ? "exited with status" : "killed by signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
      }
      failed++;
    }
  }
  posix_spawn_file_actions_destroy(&actions);
  if (failed > 0) {
    fprintf(stderr, "fanout: %ld of %ld runs failed\n", failed, item_count);
    return 1;
  }
  return 0;
}

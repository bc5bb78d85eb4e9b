// seccomp_filter: writes the classic-BPF program of a seccomp deny list shaped like the
// sandbox's default policy, for `bwrap --seccomp FD` in scripts/bench, so bubblewrap runs
// with a filter of the same size and the same argument rules as ours.
//
// usage: seccomp_filter OUT.bpf [POLICY_HEADER]
//        seccomp_filter --minimal OUT.bpf    (one rule, same arches: the price of any filter)
//   Prints "rules=N instructions=M arches=x86_64,x86,x32" on stdout.
//   POLICY_HEADER: src/seccomp/default_policy.h when it exists; every "name" string literal
//   in it that libseccomp knows as a syscall is added as a plain deny (errno EPERM), on top of
//   the built-in list below (duplicates are skipped; the syscalls that get argument rules
//   here are never denied outright), so the filter follows the sandbox's list as it grows.
//   Without it, the list from DESIGN.md's Seccomp section is used.
//
// Build: cc -O2 -o seccomp_filter seccomp_filter.c -lseccomp
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

// DESIGN.md, Seccomp: denied outright (errno EPERM). The new mount API belongs to the
// "mount family" the design names.
static const char* const kDenied[] = {
    "keyctl",          "add_key",         "request_key",       "init_module",
    "finit_module",    "delete_module",   "kexec_load",        "kexec_file_load",
    "bpf",             "perf_event_open", "userfaultfd",       "io_uring_setup",
    "io_uring_enter",  "io_uring_register", "open_by_handle_at", "name_to_handle_at",
    "reboot",          "swapon",          "swapoff",           "settimeofday",
    "clock_settime",   "clock_adjtime",   "adjtimex",          "acct",
    "quotactl",        "syslog",          "mount",             "umount2",
    "pivot_root",      "chroot",          "setns",             "fsopen",
    "fsconfig",        "fsmount",         "fspick",            "move_mount",
    "open_tree",       "mount_setattr",
};

static int g_rules = 0;
static char g_seen[4096][32];
static int g_seen_count = 0;

static int Seen(const char* name) {
  for (int i = 0; i < g_seen_count; i++) {
    if (strcmp(g_seen[i], name) == 0) return 1;
  }
  if (g_seen_count < 4096) {
    snprintf(g_seen[g_seen_count++], sizeof g_seen[0], "%s", name);
  }
  return 0;
}

static void Die(const char* what, int rc) {
  fprintf(stderr, "seccomp_filter: %s: %s\n", what, strerror(rc < 0 ? -rc : rc));
  exit(1);
}

// One rule, counted. A syscall unknown to libseccomp is skipped (older headers).
static void Add(scmp_filter_ctx ctx, uint32_t action, const char* name, unsigned count,
                const struct scmp_arg_cmp* args) {
  int nr = seccomp_syscall_resolve_name(name);
  if (nr == __NR_SCMP_ERROR) {
    fprintf(stderr, "seccomp_filter: skipping unknown syscall %s\n", name);
    return;
  }
  int rc = seccomp_rule_add_array(ctx, action, nr, count, args);
  if (rc < 0) {
    fprintf(stderr, "seccomp_filter: rule for %s: %s\n", name, strerror(-rc));
    exit(1);
  }
  g_rules++;
}

static void AddPlain(scmp_filter_ctx ctx, const char* name) {
  if (Seen(name)) return;
  Add(ctx, SCMP_ACT_ERRNO(EPERM), name, 0, NULL);
}

// Syscalls whose rules below look at arguments: never denied outright from the header.
static int HasArgumentRules(const char* name) {
  static const char* const kConditional[] = {"clone", "clone3", "unshare", "ioctl",
                                             "personality", "socket", "socketcall"};
  for (size_t i = 0; i < sizeof kConditional / sizeof kConditional[0]; i++) {
    if (strcmp(kConditional[i], name) == 0) return 1;
  }
  return 0;
}

// Reads "name" literals from the sandbox's policy header, if given.
static void AddFromHeader(scmp_filter_ctx ctx, const char* path) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return;
  char line[1024];
  while (fgets(line, sizeof line, f) != NULL) {
    const char* p = line;
    const char* comment = strstr(line, "//");
    while ((p = strchr(p, '"')) != NULL) {
      if (comment != NULL && p > comment) break;
      const char* end = strchr(p + 1, '"');
      if (end == NULL) break;
      char name[64];
      size_t n = (size_t)(end - p - 1);
      if (n > 0 && n < sizeof name) {
        memcpy(name, p + 1, n);
        name[n] = 0;
        if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") == n &&
            !HasArgumentRules(name) &&
            seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR) {
          AddPlain(ctx, name);
        }
      }
      p = end + 1;
    }
  }
  fclose(f);
}

// Writes the filter's BPF to path and prints its size.
static int Export(scmp_filter_ctx ctx, const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) Die(path, errno);
  int rc = seccomp_export_bpf(ctx, fd);
  if (rc < 0) Die("seccomp_export_bpf", rc);
  off_t size = lseek(fd, 0, SEEK_END);
  close(fd);
  seccomp_release(ctx);
  printf("rules=%d instructions=%lld arches=x86_64,x86,x32\n", g_rules, (long long)size / 8);
  return 0;
}

int main(int argc, char** argv) {
  int minimal = argc > 1 && strcmp(argv[1], "--minimal") == 0;
  if (minimal) {
    argv++;
    argc--;
  }
  if (argc < 2) {
    fprintf(stderr, "usage: seccomp_filter [--minimal] OUT.bpf [POLICY_HEADER]\n");
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == NULL) Die("seccomp_init", ENOMEM);
  int rc;
  // Every architecture an x86_64 kernel can run for us gets the same rules.
  if ((rc = seccomp_arch_add(ctx, SCMP_ARCH_X86)) < 0 && rc != -EEXIST) Die("arch x86", rc);
  if ((rc = seccomp_arch_add(ctx, SCMP_ARCH_X32)) < 0 && rc != -EEXIST) Die("arch x32", rc);
  // The binary-tree optimisation, as the sandbox uses.
  if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0) Die("optimize", rc);

  if (minimal) {
    AddPlain(ctx, kDenied[0]);
    return Export(ctx, argv[1]);
  }
  for (size_t i = 0; i < sizeof kDenied / sizeof kDenied[0]; i++) AddPlain(ctx, kDenied[i]);
  if (argc > 2) AddFromHeader(ctx, argv[2]);

  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
  // clone3 answers ENOSYS so libc falls back to clone, whose flags can be checked.
  Seen("clone3");
  Add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
  // New user namespaces (the other namespace kinds need CAP_SYS_ADMIN, which the job lacks).
  struct scmp_arg_cmp newuser = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER);
  Add(ctx, eperm, "unshare", 1, &newuser);
  Add(ctx, eperm, "clone", 1, &newuser);
  // Terminal injection.
  struct scmp_arg_cmp sti = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, TIOCSTI);
  struct scmp_arg_cmp linux_ = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFu, TIOCLINUX);
  Add(ctx, eperm, "ioctl", 1, &sti);
  Add(ctx, eperm, "ioctl", 1, &linux_);
  // personality: the execution-domain flags that weaken the job's address space are refused;
  // bit 31 in the mask keeps the 0xffffffff query (which has every bit set) allowed.
  // libseccomp takes one comparison per argument in a rule, hence masks rather than ranges.
  static const unsigned long kPersonalityFlags[] = {READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE,
                                                    MMAP_PAGE_ZERO, ADDR_COMPAT_LAYOUT};
  for (size_t i = 0; i < sizeof kPersonalityFlags / sizeof kPersonalityFlags[0]; i++) {
    struct scmp_arg_cmp flag =
        SCMP_A0(SCMP_CMP_MASKED_EQ, kPersonalityFlags[i] | 0x80000000ul, kPersonalityFlags[i]);
    Add(ctx, eperm, "personality", 1, &flag);
  }
  // Socket families other than unix (1), inet (2), inet6 (10) and netlink (16): 0, 3, 4-7,
  // 8-9, 11, 12-15 and everything above 16.
  const uint64_t low2 = ~(uint64_t)3, low1 = ~(uint64_t)1;
  struct scmp_arg_cmp families[] = {
      SCMP_A0(SCMP_CMP_EQ, AF_UNSPEC),       SCMP_A0(SCMP_CMP_EQ, 3),
      SCMP_A0(SCMP_CMP_MASKED_EQ, low2, 4),  SCMP_A0(SCMP_CMP_MASKED_EQ, low1, 8),
      SCMP_A0(SCMP_CMP_EQ, 11),              SCMP_A0(SCMP_CMP_MASKED_EQ, low2, 12),
      SCMP_A0(SCMP_CMP_GT, AF_NETLINK),
  };
  for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
    Add(ctx, eperm, "socket", 1, &families[i]);
  }

  return Export(ctx, argv[1]);
}

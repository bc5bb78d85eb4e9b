#include "seccomp/rules.h"

#include <fcntl.h>
#include <linux/kd.h>
#include <linux/personality.h>
#include <linux/sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

namespace sandbox::seccomp {
namespace {

using Op = ArgTest::Op;

Rule Always(std::string_view name) { return Rule{name, {}, Answer::kDeny, 0}; }

// Any of `flags` set in argument `index` (one rule per flag: rules for one syscall combine
// with "or", the tests inside one rule with "and").
void AddFlagRules(std::vector<Rule>& rules, std::string_view name, unsigned index,
                  std::initializer_list<uint64_t> flags) {
  for (uint64_t flag : flags) {
    rules.push_back(Rule{name, {ArgTest{index, Op::kMaskedEqual, flag, flag, false}}});
  }
}

// The namespace flags clone(2) and unshare(2) take. CLONE_NEWTIME (0x80) shares its bit with
// clone's exit signal, so only unshare can be checked for it.
constexpr uint64_t kCloneNamespaces[] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,   CLONE_NEWNET,
                                         CLONE_NEWUTS,  CLONE_NEWIPC, CLONE_NEWCGROUP};

std::vector<Rule> BuildDefaultRules() {
  std::vector<Rule> rules;
  // Kernel keyrings: per-user kernel state shared across namespaces, a long CVE history.
  for (auto name : {"add_key", "request_key", "keyctl"}) rules.push_back(Always(name));
  // Kernel code and the running kernel itself.
  for (auto name : {"init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
                    "reboot"}) {
    rules.push_back(Always(name));
  }
  // In-kernel programs and the subsystems most used for kernel exploits.
  for (auto name : {"bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter",
                    "io_uring_register"}) {
    rules.push_back(Always(name));
  }
  // File handles bypass the mount namespace: a handle names an inode on the whole filesystem.
  for (auto name : {"open_by_handle_at", "name_to_handle_at"}) rules.push_back(Always(name));
  // Host-wide state: swap, clocks, accounting, quotas, the kernel log.
  for (auto name : {"swapon", "swapoff", "settimeofday", "stime", "clock_settime",
                    "clock_settime64", "clock_adjtime", "clock_adjtime64", "adjtimex", "acct",
                    "quotactl", "quotactl_fd", "syslog"}) {
    rules.push_back(Always(name));
  }
  // The filesystem view is fixed once the job starts: no mounts, no new roots.
  for (auto name : {"mount", "umount", "umount2", "fsopen", "fsconfig", "fsmount", "fspick",
                    "move_mount", "open_tree", "mount_setattr", "pivot_root", "chroot"}) {
    rules.push_back(Always(name));
  }
  // No new namespaces and no joining others: nested user namespaces are where most
  // unprivileged kernel exploits start.
  rules.push_back(Always("setns"));
  AddFlagRules(rules, "unshare", 0,
               {CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUTS, CLONE_NEWIPC,
                CLONE_NEWCGROUP, CLONE_NEWTIME});
  for (uint64_t flag : kCloneNamespaces) {
    rules.push_back(Rule{"clone", {ArgTest{0, Op::kMaskedEqual, flag, flag, false}}});
  }
  // clone3 passes its flags in memory a filter cannot read: answer ENOSYS, as a kernel
  // without clone3 would, and libc falls back to clone, whose flags are checked above.
  rules.push_back(Rule{"clone3", {}, Answer::kNotPresent, ENOSYS});
  // Terminal requests that act beyond the job's own use of a terminal: pushing input
  // (TIOCSTI), the virtual console (TIOCLINUX, KDSETMODE, KDSKBMODE), line disciplines
  // (TIOCSETD: n_gsm and friends, autoloaded modules, and a broken session on the caller's
  // terminal), console redirection (TIOCCONS), hanging up every user of the terminal
  // (TIOCVHANGUP) and serial port setup (TIOCSSERIAL). docs/seccomp.md says why each.
  // ioctl's command is an unsigned int: compare the low half only.
  for (unsigned long request :
       {TIOCSTI, TIOCLINUX, TIOCSETD, TIOCCONS, TIOCVHANGUP, TIOCSSERIAL, KDSETMODE, KDSKBMODE}) {
    rules.push_back(Rule{"ioctl", {ArgTest{1, Op::kEqual, request, 0, true}}});
  }
  // Execution domains other than Linux, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO and friends weaken
  // the job's own memory protections; the allowed set cannot be written as BPF comparisons
  // on one argument, so the supervisor checks the value (IsHarmlessPersonality).
  rules.push_back(Rule{"personality", {}, Answer::kCheckValue, 0});
  // Address families other than unix, inet, inet6 and netlink. AF_VSOCK reaches the
  // hypervisor whatever the network namespace; the rest are rarely built, rarely audited
  // protocol code. Allowed: 1 (unix), 2 (inet), 10 (inet6), 16 (netlink).
  const ArgTest families[] = {
      {0, Op::kEqual, 0, 0, true},                  // AF_UNSPEC
      {0, Op::kEqual, 3, 0, true},                  // AF_AX25
      {0, Op::kMaskedEqual, 4, 0xfffffffc, true},   // 4..7
      {0, Op::kMaskedEqual, 8, 0xfffffffe, true},   // 8, 9
      {0, Op::kEqual, 11, 0, true},                 // AF_ROSE
      {0, Op::kMaskedEqual, 12, 0xfffffffc, true},  // 12..15
      {0, Op::kGreater, 16, 0, true},               // 17 and up, AF_VSOCK (40) among them
  };
  for (const ArgTest& test : families) {
    rules.push_back(Rule{"socket", {test}, Answer::kDeny, EAFNOSUPPORT});
  }
  // i386 programs may create sockets through socketcall(2), whose arguments sit in memory
  // the filter cannot read: its SYS_SOCKET call is refused outright (docs/seccomp.md).
  rules.push_back(
      Rule{"socketcall", {ArgTest{0, Op::kEqual, 1, 0, true}}, Answer::kDeny, EAFNOSUPPORT});
  // The socket fence: a unix socket on a read-only mount is a host service (docker.sock, the
  // system bus, agents). The family and the path are in memory, which the job can change after
  // any check, so the supervisor makes every connect, every sendto with an address, and every
  // sendmsg and sendmmsg (their address is inside a msghdr in memory) itself on the job's
  // socket (SocketMediator). sendto without an address names no peer; socketcall's CONNECT (3),
  // SENDTO (11), SENDMSG (16) and SENDMMSG (20) are the same calls from i386.
  rules.push_back(Rule{"connect", {}, Answer::kMediate, 0});
  rules.push_back(Rule{"sendto", {ArgTest{4, Op::kGreater, 0, 0, false}}, Answer::kMediate, 0});
  rules.push_back(Rule{"sendmsg", {}, Answer::kMediate, 0});
  rules.push_back(Rule{"sendmmsg", {}, Answer::kMediate, 0});
  for (uint64_t call : {3, 11, 16, 20}) {
    rules.push_back(
        Rule{"socketcall", {ArgTest{0, Op::kEqual, call, 0, true}}, Answer::kMediate, 0});
  }
  return rules;
}

}  // namespace

const std::vector<Rule>& DefaultRules() {
  static const std::vector<Rule> rules = BuildDefaultRules();
  return rules;
}

const std::vector<Rule>& FifoFenceRules() {
  static const std::vector<Rule> rules = [] {
    std::vector<Rule> list;
    // O_WRONLY (1), O_RDWR (2) and 3 (both bits: the kernel's "ioctl only" mode, which still
    // checks write permission): any access mode but O_RDONLY, without O_PATH (which opens
    // nothing for writing whatever the mode says). flags is an int: low 32 bits.
    for (auto [name, index] : {std::pair<std::string_view, unsigned>{"open", 1}, {"openat", 2}}) {
      for (uint64_t mode : {uint64_t{1}, uint64_t{2}, uint64_t{3}}) {
        // One masked comparison (libseccomp takes one per argument): the mode, O_PATH clear.
        list.push_back(Rule{name,
                            {ArgTest{index, Op::kMaskedEqual, mode, O_ACCMODE | O_PATH, true}},
                            Answer::kMediate,
                            0});
      }
    }
    list.push_back(Rule{"creat", {}, Answer::kMediate, 0});
    list.push_back(Rule{"openat2", {}, Answer::kMediate, 0});
    return list;
  }();
  return rules;
}

bool IsHarmlessPersonality(uint64_t value) {
  uint32_t persona = static_cast<uint32_t>(value);  // personality(2) takes an unsigned int
  if (persona == 0xffffffffu) return true;
  constexpr uint32_t kHarmlessFlags = UNAME26 | ADDR_NO_RANDOMIZE;
  if ((persona & ~(kHarmlessFlags | PER_MASK)) != 0) return false;
  uint32_t domain = persona & PER_MASK;
  return domain == PER_LINUX || domain == PER_LINUX32;
}

}  // namespace sandbox::seccomp

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/personality.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

#include "common/listener_handover.h"
#include "common/record.h"
#include "common/unique_fd.h"
#include "launch/listener_receiver.h"
#include "seccomp/compile.h"
#include "seccomp/decide.h"
#include "seccomp/listener.h"
#include "seccomp/names.h"
#include "seccomp/rules.h"

namespace sandbox::seccomp {
namespace {

constexpr uint32_t kAuditArchX86_64 = 0xc000003e;
constexpr uint32_t kAuditArchI386 = 0x40000003;

TEST(SeccompNamesTest, KnowsNamesOfEveryAbi) {
  EXPECT_TRUE(IsKnownSyscall("keyctl"));
  EXPECT_TRUE(IsKnownSyscall("socketcall"));  // i386 only
  EXPECT_TRUE(IsKnownSyscall("io_uring_setup"));
  EXPECT_FALSE(IsKnownSyscall("keyctrl"));
  EXPECT_FALSE(IsKnownSyscall(""));
  EXPECT_EQ(SyscallName(kAuditArchX86_64, 250), "keyctl");
  EXPECT_EQ(SyscallName(kAuditArchI386, 288), "keyctl");
  EXPECT_EQ(SyscallName(kAuditArchX86_64, 250 | 0x40000000), "keyctl");  // x32
  EXPECT_EQ(SyscallName(kAuditArchX86_64, 99999), "syscall 99999");
  const auto& all = KnownSyscalls();
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_GT(all.size(), 300u);
}

TEST(SeccompRulesTest, EveryRuleNamesARealSyscall) {
  for (const Rule& rule : DefaultRules()) {
    EXPECT_TRUE(IsKnownSyscall(rule.syscall)) << rule.syscall;
  }
}

// docs/seccomp.md is the user's copy of the list: every entry must be explained there.
TEST(SeccompRulesTest, DocumentationNamesEveryEntry) {
  std::ifstream in(std::string(SANDBOX_SOURCE_DIR) + "/docs/seccomp.md");
  ASSERT_TRUE(in) << "docs/seccomp.md is missing";
  std::stringstream text;
  text << in.rdbuf();
  std::set<std::string> names;
  for (const Rule& rule : DefaultRules()) names.emplace(rule.syscall);
  for (const std::string& name : names) {
    EXPECT_NE(text.str().find("`" + name + "`"), std::string::npos)
        << name << " is not documented in docs/seccomp.md";
  }
}

TEST(SeccompRulesTest, PersonalityAllowsOnlyHarmlessValues) {
  EXPECT_TRUE(IsHarmlessPersonality(0xffffffff));
  EXPECT_TRUE(IsHarmlessPersonality(PER_LINUX));
  EXPECT_TRUE(IsHarmlessPersonality(PER_LINUX32));
  EXPECT_TRUE(IsHarmlessPersonality(uint32_t{PER_LINUX} | ADDR_NO_RANDOMIZE));
  EXPECT_TRUE(IsHarmlessPersonality(uint32_t{PER_LINUX32} | UNAME26));
  EXPECT_TRUE(IsHarmlessPersonality(0x1'0000'0000ULL));  // the kernel sees the low half: 0
  EXPECT_FALSE(IsHarmlessPersonality(READ_IMPLIES_EXEC));
  EXPECT_FALSE(IsHarmlessPersonality(MMAP_PAGE_ZERO));
  EXPECT_FALSE(IsHarmlessPersonality(PER_SVR4));
  EXPECT_FALSE(IsHarmlessPersonality(0xfffffffe));
}

TEST(SeccompDecideTest, AnswersByActionAndEntry) {
  Settings errno_mode;
  Verdict v = Decide(errno_mode, "keyctl", 0);
  EXPECT_FALSE(v.proceed);
  EXPECT_EQ(v.error, EPERM);
  EXPECT_TRUE(v.denial);
  v = Decide(errno_mode, "socket", 40);
  EXPECT_EQ(v.error, EAFNOSUPPORT);
  v = Decide(errno_mode, "personality", 0xffffffff);
  EXPECT_TRUE(v.proceed);
  EXPECT_FALSE(v.denial);
  v = Decide(errno_mode, "personality", READ_IMPLIES_EXEC);
  EXPECT_FALSE(v.proceed);
  EXPECT_TRUE(v.denial);

  Settings log_mode;
  log_mode.action = Action::kLog;
  v = Decide(log_mode, "keyctl", 0);
  EXPECT_TRUE(v.proceed);
  EXPECT_TRUE(v.denial);
}

TEST(SeccompCompileTest, DefaultFilterUsesTheListenerUnlessEverythingKills) {
  auto filter = Compile(Settings{});
  ASSERT_TRUE(filter) << filter.error().ToString();
  EXPECT_GT(filter->program.size(), 20u);
  EXPECT_LT(filter->program.size(), 4096u);  // BPF_MAXINSNS
  EXPECT_TRUE(filter->needs_listener);

  // Under kill, only the calls the supervisor answers from their arguments (personality) or
  // makes itself (the socket fence) need it.
  Settings kill;
  kill.action = Action::kKill;
  kill.allow = {"personality", "connect", "sendto", "sendmsg", "sendmmsg", "socketcall"};
  filter = Compile(kill);
  ASSERT_TRUE(filter);
  EXPECT_FALSE(filter->needs_listener);
}

// The build-time programs must be exactly what libseccomp gives now.
TEST(SeccompCompileTest, PrecompiledDefaultsMatchLibseccomp) {
  for (Action action : {Action::kErrno, Action::kKill, Action::kLog}) {
    Settings s;
    s.action = action;
    auto fast = Compile(s);
    auto slow = CompileWithLibseccomp(s);
    ASSERT_TRUE(fast && slow);
    ASSERT_EQ(fast->program.size(), slow->program.size()) << ActionName(action);
    for (size_t i = 0; i < fast->program.size(); ++i) {
      const sock_filter& a = fast->program[i];
      const sock_filter& b = slow->program[i];
      EXPECT_TRUE(a.code == b.code && a.jt == b.jt && a.jf == b.jf && a.k == b.k)
          << ActionName(action) << " instruction " << i;
    }
    EXPECT_EQ(fast->needs_listener, slow->needs_listener) << ActionName(action);
  }
}

TEST(SeccompCompileTest, UnknownNameIsAnError) {
  Settings s;
  s.deny = {"no_such_call"};
  auto filter = Compile(s);
  ASSERT_FALSE(filter);
  EXPECT_NE(filter.error().message.find("no_such_call"), std::string::npos);
}

// The whole path without namespaces: a forked child installs the compiled filter (with
// no_new_privs, as the job does), hands over the listener, and makes calls; this process
// answers as the supervisor would.
struct Trial {
  std::vector<std::string> results;  // per call: "ok" or the errno name
  std::vector<Denial> denials;
};

Trial RunUnderFilter(const Settings& settings, const std::vector<long>& keyctl_like_calls,
                     ListenerHandover how = ListenerHandover::kHelper) {
  Trial trial;
  auto filter = Compile(settings);
  EXPECT_TRUE(filter);
  if (!filter) return trial;
  int pair[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  int pipe_fds[2];
  EXPECT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  pid_t child = ::fork();
  if (child == 0) {
    ::close(pair[0]);
    ::close(pipe_fds[0]);
    struct sock_fprog prog = {static_cast<unsigned short>(filter->program.size()),
                              filter->program.data()};
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ::_exit(10);
    if (filter->needs_listener) {
      bool installed = false;
      if (InstallFilterAndHandOverListener(pair[1], how, &prog, &installed) != 0) ::_exit(12);
    } else if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
      ::_exit(11);
    }
    for (long nr : keyctl_like_calls) {
      int result = ::syscall(nr, 0, -3, 0) < 0 ? errno : 0;
      if (::write(pipe_fds[1], &result, sizeof(result)) != sizeof(result)) ::_exit(13);
    }
    ::_exit(0);
  }
  ::close(pair[1]);
  ::close(pipe_fds[1]);
  UniqueFd sync(pair[0]);
  UniqueFd results(pipe_fds[0]);
  Listener listener(settings);
  UniqueFd listener_fd;
  if (filter->needs_listener) {
    // The helper's one record, or the pull's two (the job's pidfd, then the number).
    launch::ListenerReceiver receiver;
    for (int i = 0; i < 2 && !receiver.has_listener(); ++i) {
      struct pollfd p = {sync.get(), POLLIN, 0};
      EXPECT_EQ(::poll(&p, 1, 5000), 1);
      Record record;
      int passed = -1;
      EXPECT_EQ(ReceiveRecord(sync.get(), &record, &passed), static_cast<long>(sizeof(record)));
      UniqueFd attached(passed);
      EXPECT_TRUE(receiver.OnRecord(record, attached, sync.get()));
    }
    listener_fd = receiver.TakeListener();
    EXPECT_TRUE(listener_fd);
  }
  for (size_t i = 0; i < keyctl_like_calls.size(); ++i) {
    struct pollfd fds[2] = {{results.get(), POLLIN, 0}, {listener_fd.get(), POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, 5000) <= 0) break;
      if (fds[1].revents & POLLIN) listener.HandleOne(listener_fd.get());
      if (fds[0].revents & POLLIN) break;
    }
    int result = -1;
    if (::read(results.get(), &result, sizeof(result)) != sizeof(result)) break;
    trial.results.push_back(result == 0       ? "ok"
                            : result == EPERM ? "EPERM"
                                              : std::to_string(result));
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  trial.denials = listener.denials();
  return trial;
}

TEST(SeccompFilterTest, DeniedCallsFailWithEpermAndAreCountedByName) {
  Trial t = RunUnderFilter(Settings{}, {SYS_keyctl, SYS_getpid, SYS_keyctl, SYS_add_key});
  EXPECT_EQ(t.results, (std::vector<std::string>{"EPERM", "ok", "EPERM", "EPERM"}));
  ASSERT_EQ(t.denials.size(), 2u);
  EXPECT_EQ(t.denials[0].syscall, "keyctl");
  EXPECT_EQ(t.denials[0].count, 2u);
  EXPECT_EQ(t.denials[0].first_comm, "sandbox_unit_te");  // comm is cut at 15 characters
  EXPECT_EQ(t.denials[1].syscall, "add_key");
  EXPECT_EQ(t.denials[1].count, 1u);
}

// The supervisor takes the listener with pidfd_getfd; no helper process, and the job keeps no
// copy once the supervisor has answered.
TEST(SeccompFilterTest, TheListenerIsPulledWithoutAHelper) {
  Trial t = RunUnderFilter(Settings{}, {SYS_keyctl, SYS_getpid}, ListenerHandover::kPull);
  EXPECT_EQ(t.results, (std::vector<std::string>{"EPERM", "ok"}));
  ASSERT_EQ(t.denials.size(), 1u);
  EXPECT_EQ(t.denials[0].syscall, "keyctl");
}

TEST(SeccompFilterTest, AllowRemovesAnEntryAndDenyAddsOne) {
  Settings s;
  s.allow = {"keyctl"};
  s.deny = {"getppid"};
  Trial t = RunUnderFilter(s, {SYS_keyctl, SYS_getppid});
  ASSERT_EQ(t.results.size(), 2u);
  EXPECT_NE(t.results[0], "EPERM");  // keyctl itself may fail, but not by the filter
  EXPECT_EQ(t.results[1], "EPERM");
  ASSERT_EQ(t.denials.size(), 1u);
  EXPECT_EQ(t.denials[0].syscall, "getppid");
}

TEST(SeccompFilterTest, LogLetsTheCallThroughAndReportsIt) {
  Settings s;
  s.action = Action::kLog;
  s.deny = {"getppid"};
  Trial t = RunUnderFilter(s, {SYS_getppid});
  EXPECT_EQ(t.results, std::vector<std::string>{"ok"});
  ASSERT_EQ(t.denials.size(), 1u);
  EXPECT_EQ(t.denials[0].syscall, "getppid");
}

}  // namespace
}  // namespace sandbox::seccomp

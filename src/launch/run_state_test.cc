#include "launch/run_state.h"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <string>

namespace sandbox::launch {
namespace {

TEST(RunStateTest, RoundTripsEveryField) {
  RunState s;
  s.name = "build-1";
  s.supervisor_pid = 10;
  s.supervisor_start = 12345;
  s.init_pid = 11;
  s.init_start = 12346;
  s.created = 1700000000;
  s.profile = "cc";
  s.namespaces = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID;
  s.command = {"sh", "-c", "echo a\nb \\ c"};
  s.environment = {"PATH=/usr/bin:/bin", "X=line1\nline2"};
  s.cwd = "/work dir";
  s.cwd_required = true;
  s.umask = 027;
  s.last_capability = 41;
  s.limits = {{7, 1024, "nofile"}};
  s.landlock_abi = 6;
  s.landlock_rules = {{3, false, "/", true, 64769, 2}, {7, true, "/work dir", false, 0, 0}};
  s.landlock_objects_known = true;
  s.seccomp_program = {{0x20, 0, 0, 4}, {0x06, 1, 2, 0x7fff0000}};
  s.seccomp_listener = true;
  s.seccomp_settings.action = seccomp::Action::kLog;
  s.seccomp_settings.deny = {"uname"};
  s.seccomp_settings.allow = {"keyctl"};
  s.seccomp_settings.connectable = {{2049, 77}};
  s.has_dev = true;
  s.cgroup_limits = true;
  auto parsed = ParseRunState(SerializeRunState(s));
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(SerializeRunState(*parsed), SerializeRunState(s));
  EXPECT_EQ(parsed->command[2], "echo a\nb \\ c");
  EXPECT_EQ(parsed->environment[1], "X=line1\nline2");
  ASSERT_EQ(parsed->seccomp_program.size(), 2u);
  EXPECT_EQ(parsed->seccomp_program[1].k, 0x7fff0000u);
  EXPECT_EQ(parsed->seccomp_program[1].jf, 2);
  EXPECT_TRUE(parsed->cgroup_limits);
  ASSERT_EQ(parsed->seccomp_settings.connectable.size(), 1u);
  EXPECT_EQ(parsed->seccomp_settings.connectable[0], (seccomp::SocketId{2049, 77}));
  EXPECT_EQ(parsed->namespaces, static_cast<uint64_t>(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID));
  // The objects pid 1 reported for the Landlock rules, which enter holds its own rules to.
  EXPECT_TRUE(parsed->landlock_objects_known);
  ASSERT_EQ(parsed->landlock_rules.size(), 2u);
  EXPECT_TRUE(parsed->landlock_rules[0].recorded);
  EXPECT_EQ(parsed->landlock_rules[0].device, 64769u);
  EXPECT_EQ(parsed->landlock_rules[0].inode, 2u);
  EXPECT_FALSE(parsed->landlock_rules[1].recorded);
}

TEST(RunStateTest, RejectsWhatIsNotAStateFile) {
  EXPECT_FALSE(ParseRunState("name x\n"));
  EXPECT_FALSE(ParseRunState("version 1\ninit_pid twelve\n"));
  EXPECT_FALSE(ParseRunState("version 1\nseccomp_program abc\n"));
  EXPECT_FALSE(ParseRunState("version 1\nnamespaces 1\n"));  // not a CLONE_NEW* flag
}

TEST(RunStateTest, EnteredPlanHasTheRunsJobSide) {
  RunState s;
  s.environment = {"PATH=/opt/bin::/usr/bin", "HOME=/tmp"};
  s.cwd = "/src";
  s.limits = {{6, 64, "nproc"}};
  s.landlock_abi = 3;
  s.landlock_rules = {{1, false, "/"}};
  s.seccomp_program = {{0x06, 0, 0, 0x7fff0000}};
  s.seccomp_listener = true;
  auto plan = PlanForEntered(s, {"make", "test"});
  EXPECT_STREQ(plan->argv[0], "make");
  EXPECT_EQ(plan->argv[2], nullptr);
  EXPECT_STREQ(plan->cwd, "/src");
  ASSERT_EQ(plan->path_dirs.size(), 3u);
  EXPECT_STREQ(plan->path_dirs[1], ".");
  ASSERT_EQ(plan->limits.size(), 1u);
  EXPECT_STREQ(plan->limits[0].name, "nproc");
  EXPECT_EQ(plan->landlock_abi, 3);
  EXPECT_EQ(plan->seccomp_program.size(), 1u);
  EXPECT_TRUE(plan->seccomp_listener);
  EXPECT_TRUE(plan->new_session);
}

TEST(RunStateTest, StartTimeNamesALiveProcess) {
  EXPECT_GT(ProcessStartTime(::getpid()), 0u);
  EXPECT_EQ(ProcessStartTime(0x3fffffff), 0u);
}

// A command name with spaces and parentheses (a job can call itself anything) still gives
// the 22nd field, the same one a plain split after the last ')' finds.
TEST(RunStateTest, StartTimeSurvivesAHostileCommandName) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::prctl(PR_SET_NAME, "a) 1 2 (b) 3", 0, 0, 0);
    char byte = 0;
    (void)!::write(ready[1], &byte, 1);
    ::pause();
    ::_exit(0);
  }
  char byte;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  std::ifstream in("/proc/" + std::to_string(child) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string field;
  for (int i = 3; i <= 22; ++i) fields >> field;
  EXPECT_NE(line.find("(a) 1 2 (b) 3)"), std::string::npos) << line;
  EXPECT_EQ(ProcessStartTime(child), std::stoull(field));
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
}

}  // namespace
}  // namespace sandbox::launch

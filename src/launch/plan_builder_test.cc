#include "launch/plan_builder.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "common/bwrap_reexec.h"
#include "common/landlock_abi.h"
#include "policy/build.h"

namespace sandbox::launch {
namespace {

policy::Policy MakePolicy(cli::CliOptions o) {
  policy::Caller caller;
  caller.uid = 1000;
  caller.gid = 1000;
  caller.cwd = "/";
  auto p = policy::Build(o, caller);
  EXPECT_TRUE(p) << p.error().ToString();
  return std::move(p).value();
}

TEST(PlanBuilderTest, FlattensMountsRelativeToTheRoot) {
  cli::CliOptions o;
  o.command = {"make", "all"};
  cli::MountRequest bind;
  bind.kind = MountKind::kReadOnlyBind;
  bind.source = "/usr";
  bind.target = "/usr";
  bind.source_fd = 7;  // bwrap --bind-fd 7 /usr
  cli::MountRequest tmp;
  tmp.kind = MountKind::kTmpfs;
  tmp.target = "/tmp";
  tmp.size_bytes = 1024;
  tmp.mode = 01777;
  cli::MountRequest link;
  link.kind = MountKind::kSymlink;
  link.source = "usr/bin";
  link.target = "/bin";
  o.mounts = {bind, tmp, link};
  auto plan = BuildChildPlan(MakePolicy(o), ProcessImage{});
  ASSERT_TRUE(plan);
  const auto& m = (*plan)->mounts;
  ASSERT_EQ(m.size(), 3u);
  EXPECT_STREQ(m[0].source, "usr");
  EXPECT_STREQ(m[0].target, "usr");
  EXPECT_EQ(m[0].op_index, 0);
  EXPECT_EQ(m[0].source_fd, 7);
  EXPECT_EQ(m[1].source_fd, -1);
  EXPECT_STREQ(m[1].mode_text, "1777");
  EXPECT_STREQ(m[1].size_text, "1024");
  EXPECT_EQ(m[1].op_index, 1);
  EXPECT_STREQ(m[2].source, "usr/bin");
  EXPECT_STREQ(m[2].target, "bin");
}

TEST(PlanBuilderTest, IdMapsMapTheInsideIdsToTheCallersOwn) {
  cli::CliOptions o;
  o.command = {"true"};
  o.uid = 1234;
  o.gid = 5678;
  auto plan = BuildChildPlan(MakePolicy(o), ProcessImage{});
  ASSERT_TRUE(plan);
  EXPECT_STREQ((*plan)->uid_map, "1234 1000 1\n");
  EXPECT_STREQ((*plan)->gid_map, "5678 1000 1\n");
}

TEST(PlanBuilderTest, JoinedUserNamespaceSwitchesToTheIdsThatDiffer) {
  cli::CliOptions o;
  o.command = {"true"};
  o.bwrap.emplace();
  o.uid = 1000;  // the caller's own (MakePolicy's caller): bubblewrap does not switch
  o.gid = 5;
  auto plan = BuildChildPlan(MakePolicy(o), ProcessImage{});
  ASSERT_TRUE(plan);
  EXPECT_EQ((*plan)->switch_gid, static_cast<gid_t>(-1)) << "no --userns: nothing to switch";
  o.bwrap->userns_fd = 9;
  plan = BuildChildPlan(MakePolicy(o), ProcessImage{});
  ASSERT_TRUE(plan);
  EXPECT_EQ((*plan)->switch_uid, static_cast<uid_t>(-1));
  EXPECT_EQ((*plan)->switch_gid, 5u);
  EXPECT_FALSE((*plan)->write_id_maps) << "the joined namespace is mapped already";
}

// bwrap mode without --chdir: the caller's directory, else the sandbox's HOME, else "/"; PWD,
// where it stood in the environment, names whichever the job enters.
TEST(PlanBuilderTest, BwrapWorkingDirectoryFallsBackToHomeThenRoot) {
  cli::CliOptions o;
  o.command = {"sh"};
  o.bwrap.emplace();
  o.keep_env = true;
  o.env = {{cli::EnvRequest::Op::kClear, "", ""},
           {cli::EnvRequest::Op::kSet, "A", "1"},
           {cli::EnvRequest::Op::kSet, "PWD", "/elsewhere"},
           {cli::EnvRequest::Op::kSet, "HOME", "/home/u"}};
  auto plan = BuildChildPlan(MakePolicy(o), ProcessImage{});
  ASSERT_TRUE(plan);
  const auto& p = **plan;
  EXPECT_STREQ(p.cwd, "/");  // MakePolicy's caller; PWD=/elsewhere does not name it
  EXPECT_FALSE(p.cwd_required);
  EXPECT_STREQ(p.cwd_fallback, "/home/u");
  ASSERT_EQ(p.envp.size(), 4u);
  EXPECT_STREQ(p.envp[1], "PWD=/");
  ASSERT_EQ(p.envp_fallback.size(), 4u);
  EXPECT_STREQ(p.envp_fallback[0], "A=1");
  EXPECT_STREQ(p.envp_fallback[1], "PWD=/home/u");
  EXPECT_STREQ(p.envp_fallback[2], "HOME=/home/u");
  EXPECT_EQ(p.envp_fallback[3], nullptr);
  ASSERT_EQ(p.envp_root.size(), 4u);
  EXPECT_STREQ(p.envp_root[1], "PWD=/");

  o.env.push_back({cli::EnvRequest::Op::kUnset, "HOME", ""});
  o.chdir = "usr/";
  plan = BuildChildPlan(MakePolicy(o), ProcessImage{});
  ASSERT_TRUE(plan);
  EXPECT_STREQ((*plan)->cwd, "usr/") << "bubblewrap's chdir(2) takes the text as given";
  EXPECT_TRUE((*plan)->cwd_required);
  EXPECT_EQ((*plan)->cwd_fallback, nullptr);
  EXPECT_STREQ((*plan)->envp[1], "PWD=usr/");

  cli::CliOptions own;  // the sandbox's own mode keeps PWD out of it
  own.command = {"sh"};
  plan = BuildChildPlan(MakePolicy(own), ProcessImage{});
  ASSERT_TRUE(plan);
  EXPECT_EQ((*plan)->cwd_fallback, nullptr);
  EXPECT_TRUE((*plan)->envp_fallback.empty() && (*plan)->envp_root.empty());
}

TEST(PlanBuilderTest, BwrapReexecutionKeepsTheModeInItsArguments) {
  cli::CliOptions o;
  o.command = {"/proc/self/exe", "--version"};
  o.bwrap.emplace();
  auto plan = BuildChildPlan(MakePolicy(o), ProcessImage{});
  ASSERT_TRUE(plan);
  const auto& argv = (*plan)->argv_as_bwrap;
  ASSERT_EQ(argv.size(), 4u);
  EXPECT_STREQ(argv[0], "/proc/self/exe");
  EXPECT_STREQ(argv[1], kBwrapReexecArg);
  EXPECT_STREQ(argv[2], "--version");
  EXPECT_EQ(argv[3], nullptr);
  o.bwrap.reset();
  plan = BuildChildPlan(MakePolicy(o), ProcessImage{});
  ASSERT_TRUE(plan);
  EXPECT_TRUE((*plan)->argv_as_bwrap.empty()) << "only bwrap mode re-executes as bwrap";
}

TEST(PlanBuilderTest, JobStackIsMappedBeforeClone) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "sanitizer builds start the job with fork()";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  GTEST_SKIP() << "sanitizer builds start the job with fork()";
#endif
#endif
  cli::CliOptions o;
  o.command = {"true"};
  auto plan = BuildChildPlan(MakePolicy(o), ProcessImage{});
  ASSERT_TRUE(plan);
  EXPECT_NE((*plan)->job_stack.top(), nullptr);
  EXPECT_GE((*plan)->job_stack.size(), 64u * 1024);
}

TEST(PlanBuilderTest, ArgvEnvpAndPathAreReadyForExecve) {
  cli::CliOptions o;
  o.command = {"make", "all"};
  o.env = {{cli::EnvRequest::Op::kClear, "", ""},
           {cli::EnvRequest::Op::kSet, "PATH", "/usr/bin::/bin"}};
  auto plan = BuildChildPlan(MakePolicy(o), ProcessImage{});
  ASSERT_TRUE(plan);
  const auto& p = **plan;
  ASSERT_EQ(p.argv.size(), 3u);
  EXPECT_STREQ(p.argv[0], "make");
  EXPECT_STREQ(p.argv[1], "all");
  EXPECT_EQ(p.argv[2], nullptr);
  ASSERT_EQ(p.envp.size(), 2u);
  EXPECT_STREQ(p.envp[0], "PATH=/usr/bin::/bin");
  EXPECT_EQ(p.envp[1], nullptr);
  ASSERT_EQ(p.path_dirs.size(), 3u);
  EXPECT_STREQ(p.path_dirs[0], "/usr/bin");
  EXPECT_STREQ(p.path_dirs[1], ".");  // empty entry = current directory, as execvp
  EXPECT_STREQ(p.path_dirs[2], "/bin");
  EXPECT_TRUE(p.bring_up_loopback);
  EXPECT_STREQ(p.hostname, "sandbox");
}

TEST(PlanBuilderTest, CapturesTheProcessImageBounds) {
  char a0[] = "sandbox";
  char a1[] = "--x";
  char* argv[] = {a0, a1, nullptr};
  char e0[] = "A=1";
  char* envp[] = {e0, nullptr};
  ProcessImage image = CaptureProcessImage(2, argv, envp);
  EXPECT_EQ(image.args_begin, a0);
  EXPECT_EQ(image.args_end, a1 + 4);
  EXPECT_EQ(image.env_begin, e0);
  EXPECT_EQ(image.env_end, e0 + 4);
  EXPECT_GT(image.last_capability, 30);
}

}  // namespace
}  // namespace sandbox::launch

namespace sandbox::launch {
namespace {

TEST(PlanBuilderLandlockTest, RulesFollowTheMounts) {
  cli::CliOptions o;
  o.command = {"true"};
  cli::MountRequest ro;
  ro.kind = MountKind::kReadOnlyBind;
  ro.source = "/usr";
  ro.target = "/usr";
  cli::MountRequest tmp;
  tmp.kind = MountKind::kTmpfs;
  tmp.target = "/tmp";
  cli::MountRequest dev;
  dev.kind = MountKind::kDev;
  dev.target = "/dev";
  o.mounts = {ro, tmp, dev};
  policy::Caller caller;
  caller.landlock_abi = 6;
  auto policy = policy::Build(o, caller);
  ASSERT_TRUE(policy);
  auto plan = BuildChildPlan(*policy, ProcessImage{});
  ASSERT_TRUE(plan);
  const auto& rules = (*plan)->landlock_rules;
  EXPECT_EQ((*plan)->landlock_abi, 6);
  ASSERT_EQ(rules.size(), 5u);
  EXPECT_STREQ(rules[0].path, "/");
  EXPECT_EQ(rules[0].access, landlock::kRead);
  EXPECT_STREQ(rules[1].path, "/usr");
  EXPECT_EQ(rules[1].access & landlock::kWriteFile, 0u);  // read-only stays read-only
  EXPECT_STREQ(rules[2].path, "/tmp");
  EXPECT_NE(rules[2].access & landlock::kWriteFile, 0u);
  EXPECT_STREQ(rules[4].path, "/dev/shm");

  o.landlock = "off";
  policy = policy::Build(o, caller);
  ASSERT_TRUE(policy);
  plan = BuildChildPlan(*policy, ProcessImage{});
  EXPECT_EQ((*plan)->landlock_abi, 0);
  EXPECT_TRUE((*plan)->landlock_rules.empty());
}

// --isolation landlock: no namespaces, no mount steps; the child is the job, restricted to the
// host's own paths, with TCP handled (no rule: none) when the network is not shared.
TEST(PlanBuilderLandlockTest, LandlockIsolationPlansNoNamespacesAndHostRules) {
  cli::CliOptions o;
  o.command = {"true"};
  o.isolation = "landlock";
  cli::MountRequest ro;
  ro.kind = MountKind::kReadOnlyBind;
  ro.source = "/usr";
  ro.target = "/usr";
  cli::MountRequest tmp;
  tmp.kind = MountKind::kTmpfs;
  tmp.target = "/tmp";
  o.mounts = {ro, tmp};
  policy::Caller caller;
  caller.landlock_abi = 6;
  auto policy = policy::Build(o, caller);
  ASSERT_TRUE(policy) << policy.error().ToString();
  auto plan = BuildChildPlan(*policy, ProcessImage{});
  ASSERT_TRUE(plan);
  const child::ChildPlan& p = **plan;
  EXPECT_TRUE(p.landlock_only);
  EXPECT_TRUE(p.job_is_pid1);
  EXPECT_FALSE(p.write_id_maps);
  EXPECT_FALSE(p.set_hostname);
  EXPECT_FALSE(p.bring_up_loopback);
  EXPECT_TRUE(p.landlock_net);
  ASSERT_EQ(p.landlock_rules.size(), 1u);  // /tmp is the supervisor's private directory
  EXPECT_STREQ(p.landlock_rules[0].path, "/usr");
  EXPECT_EQ(p.landlock_rules[0].access, landlock::kRead);
  EXPECT_TRUE(p.seccomp_listener);

  o.share_net = true;
  policy = policy::Build(o, caller);
  ASSERT_TRUE(policy) << policy.error().ToString();
  plan = BuildChildPlan(*policy, ProcessImage{});
  ASSERT_TRUE(plan);
  EXPECT_FALSE((*plan)->landlock_net);
}

// Landlock ABI 9's LANDLOCK_ACCESS_FS_RESOLVE_UNIX: reaching a unix socket is granted where
// the job may write and on the sockets the run names, never on read-only binds; the named
// socket is known to the seccomp fence too, by device and inode.
TEST(PlanBuilderLandlockTest, UnixSocketsAreReachableWhereWritableOrNamed) {
  EXPECT_EQ(landlock::HandledFsRights(8) & landlock::kResolveUnix, 0u);
  EXPECT_NE(landlock::HandledFsRights(9) & landlock::kResolveUnix, 0u);
  char dir[] = "/tmp/plan-builder-test.XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/agent.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = {};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);

  cli::CliOptions o;
  o.command = {"true"};
  cli::MountRequest ro;
  ro.kind = MountKind::kReadOnlyBind;
  ro.source = "/usr";
  ro.target = "/usr";
  cli::MountRequest tmp;
  tmp.kind = MountKind::kTmpfs;
  tmp.target = "/tmp";
  cli::MountRequest socket;
  socket.kind = MountKind::kReadOnlyBind;
  socket.socket = true;
  socket.source = path;
  socket.target = "/run/agent.sock";
  o.mounts = {ro, tmp, socket};
  policy::Caller caller;
  caller.landlock_abi = 9;
  auto policy = policy::Build(o, caller);
  ::close(fd);
  ::unlink(path.c_str());
  ::rmdir(dir);
  ASSERT_TRUE(policy) << policy.error().ToString();
  ASSERT_TRUE(policy->seccomp());
  ASSERT_EQ(policy->seccomp()->connectable.size(), 1u);
  EXPECT_EQ(policy->seccomp()->connectable[0].ino, static_cast<uint64_t>(st.st_ino));
  auto plan = BuildChildPlan(*policy, ProcessImage{});
  ASSERT_TRUE(plan);
  const auto& rules = (*plan)->landlock_rules;
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0].access & landlock::kResolveUnix, 0u);  // "/"
  EXPECT_EQ(rules[1].access & landlock::kResolveUnix, 0u);  // /usr, read-only
  EXPECT_NE(rules[2].access & landlock::kResolveUnix, 0u);  // /tmp, the sandbox's own
  EXPECT_STREQ(rules[3].path, "/run/agent.sock");
  EXPECT_EQ(rules[3].access, landlock::kRead | landlock::kResolveUnix);

  // Only a socket can be named.
  socket.source = "/usr";
  o.mounts = {socket};
  auto refused = policy::Build(o, caller);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "/usr is not a unix socket");
}

TEST(PlanBuilderLandlockTest, RequiredWithoutKernelSupportRefuses) {
  cli::CliOptions o;
  o.command = {"true"};
  o.landlock = "on";
  policy::Caller caller;
  caller.landlock_abi = 0;
  auto policy = policy::Build(o, caller);
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().message, "Landlock was required but this kernel does not provide it");
}

}  // namespace
}  // namespace sandbox::launch

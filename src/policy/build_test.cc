#include "policy/build.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace sandbox::policy {
namespace {

Caller TestCaller() {
  Caller c;
  c.uid = 1000;
  c.gid = 100;
  c.cwd = "/home/u/src";
  c.environment = {{"PATH", "/home/u/bin:/usr/bin"},
                   {"HOME", "/home/u"},
                   {"TERM", "xterm"},
                   {"LANG", "C.UTF-8"},
                   {"AWS_SECRET_ACCESS_KEY", "hunter2"}};
  return c;
}

cli::CliOptions WithCommand() {
  cli::CliOptions o;
  o.command = {"true"};
  return o;
}

cli::MountRequest Request(MountKind kind, std::string source, std::string target) {
  cli::MountRequest r;
  r.kind = kind;
  r.source = std::move(source);
  r.target = std::move(target);
  r.flag = std::string("--") + MountKindName(kind) + " " + r.source + " " + r.target;
  return r;
}

bool HasEnv(const Policy& p, const std::string& entry) {
  return std::find(p.environment().begin(), p.environment().end(), entry) != p.environment().end();
}

TEST(NormalizeTargetTest, Normalises) {
  EXPECT_EQ(*NormalizeTarget("/a//b/./c/"), "/a/b/c");
  EXPECT_EQ(*NormalizeTarget("/"), "/");
  EXPECT_EQ(*NormalizeTarget("//"), "/");
  EXPECT_FALSE(NormalizeTarget("a/b"));
  EXPECT_FALSE(NormalizeTarget(""));
  EXPECT_FALSE(NormalizeTarget("/a/../b"));
  EXPECT_EQ(NormalizeTarget("rel").error().ToString(),
            "destination \"rel\" is not an absolute path; write it from the sandbox's root, e.g. "
            "/work");
}

TEST(PolicyBuildTest, DefaultsAreSafe) {
  auto p = Build(WithCommand(), TestCaller());
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->identity().outer_uid, 1000u);
  EXPECT_EQ(p->identity().inner_uid, 0u);
  EXPECT_EQ(p->identity().inner_gid, 0u);
  EXPECT_EQ(p->network(), NetworkMode::kNone);
  EXPECT_EQ(p->hostname(), "sandbox");
  EXPECT_TRUE(p->mounts().empty());
  EXPECT_TRUE(p->new_session());
  EXPECT_EQ(p->cwd(), "/home/u/src");
  EXPECT_FALSE(p->cwd_required());
}

TEST(PolicyBuildTest, CleanEnvironmentKeepsOnlyTheBasics) {
  auto p = Build(WithCommand(), TestCaller());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->environment(),
            (std::vector<std::string>{std::string("PATH=") + kDefaultPath, "HOME=/tmp",
                                      "TERM=xterm", "LANG=C.UTF-8"}));
}

TEST(PolicyBuildTest, KeepEnvInheritsThenFlagsApplyInOrder) {
  auto o = WithCommand();
  o.keep_env = true;
  o.env = {{cli::EnvRequest::Op::kUnset, "AWS_SECRET_ACCESS_KEY", ""},
           {cli::EnvRequest::Op::kSet, "A", "1"},
           {cli::EnvRequest::Op::kSet, "TERM", "dumb"}};
  auto p = Build(o, TestCaller());
  ASSERT_TRUE(p);
  EXPECT_TRUE(HasEnv(*p, "HOME=/home/u"));
  EXPECT_TRUE(HasEnv(*p, "A=1"));
  EXPECT_TRUE(HasEnv(*p, "TERM=dumb"));
  EXPECT_FALSE(HasEnv(*p, "AWS_SECRET_ACCESS_KEY=hunter2"));
}

TEST(PolicyBuildTest, ClearenvEmptiesButLaterSetsApply) {
  auto o = WithCommand();
  o.env = {{cli::EnvRequest::Op::kClear, "", ""}, {cli::EnvRequest::Op::kSet, "X", "y"}};
  auto p = Build(o, TestCaller());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->environment(), (std::vector<std::string>{"X=y"}));
}

TEST(PolicyBuildTest, InvalidEnvName) {
  auto o = WithCommand();
  o.env = {{cli::EnvRequest::Op::kSet, "A=B", "1"}};
  EXPECT_FALSE(Build(o, TestCaller()));
}

TEST(PolicyBuildTest, BindSourcesAreCanonicalAndMountsKeepOrder) {
  char dir[] = "/tmp/sandbox-policy-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  std::string real = dir;
  std::string link = real + "-link";
  ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
  auto o = WithCommand();
  o.mounts = {Request(MountKind::kTmpfs, "", "/tmp"),
              Request(MountKind::kReadOnlyBind, link, "//work/./x/"),
              Request(MountKind::kProc, "", "/proc")};
  auto p = Build(o, TestCaller());
  ::unlink(link.c_str());
  ::rmdir(real.c_str());
  ASSERT_TRUE(p) << p.error().ToString();
  ASSERT_EQ(p->mounts().size(), 3u);
  EXPECT_EQ(p->mounts()[0].kind, MountKind::kTmpfs);
  EXPECT_EQ(p->mounts()[1].source, real);  // symlink resolved in the parent
  EXPECT_EQ(p->mounts()[1].target, "/work/x");
  EXPECT_EQ(p->mounts()[2].kind, MountKind::kProc);
}

// --host-proc turns every proc mount into a read-only bind of the caller's /proc.
TEST(PolicyBuildTest, HostProcBindsTheCallersProc) {
  auto o = WithCommand();
  o.mounts = {Request(MountKind::kProc, "", "/proc"), Request(MountKind::kTmpfs, "", "/tmp")};
  auto fresh = Build(o, TestCaller());
  ASSERT_TRUE(fresh) << fresh.error().ToString();
  EXPECT_EQ(fresh->mounts()[0].kind, MountKind::kProc);

  o.host_proc = true;
  auto bound = Build(o, TestCaller());
  ASSERT_TRUE(bound) << bound.error().ToString();
  EXPECT_EQ(bound->mounts()[0].kind, MountKind::kReadOnlyBind);
  EXPECT_EQ(bound->mounts()[0].source, "/proc");
  EXPECT_EQ(bound->mounts()[0].target, "/proc");
  EXPECT_EQ(bound->mounts()[1].kind, MountKind::kTmpfs);
}

// --isolation: namespaces unless asked; auto takes landlock only where user namespaces fail.
TEST(PolicyBuildTest, IsolationAutoFallsBackOnlyWhereUserNamespacesFail) {
  auto o = WithCommand();
  o.mounts = {Request(MountKind::kProc, "", "/proc"), Request(MountKind::kTmpfs, "", "/tmp")};
  Caller caller = TestCaller();
  caller.landlock_abi = 6;
  caller.user_namespaces_work = [] { return false; };
  auto plain = Build(o, caller);
  ASSERT_TRUE(plain) << plain.error().ToString();
  EXPECT_EQ(plain->isolation(), Isolation::kNamespaces);  // never chosen without permission
  EXPECT_NE(plain->namespaces(), 0u);

  o.isolation = "auto";
  o.isolation_origin = "--isolation auto";
  auto fallen = Build(o, caller);
  ASSERT_TRUE(fallen) << fallen.error().ToString();
  EXPECT_EQ(fallen->isolation(), Isolation::kLandlock);
  EXPECT_EQ(fallen->namespaces(), 0u);
  EXPECT_TRUE(fallen->landlock_only().private_tmp);
  ASSERT_TRUE(fallen->seccomp());
  EXPECT_TRUE(fallen->seccomp()->unix_sockets_only);
  EXPECT_EQ(fallen->identity().inner_uid, 1000u);

  caller.user_namespaces_work = [] { return true; };
  auto kept = Build(o, caller);
  ASSERT_TRUE(kept) << kept.error().ToString();
  EXPECT_EQ(kept->isolation(), Isolation::kNamespaces);
}

TEST(PolicyBuildTest, IsolationLandlockRefusesWhatItCannotDo) {
  auto o = WithCommand();
  o.isolation = "landlock";
  o.isolation_origin = "--isolation landlock";
  Caller caller = TestCaller();
  auto none = Build(o, caller);  // landlock_abi 0
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().ToString(),
            "--isolation landlock needs Landlock, which this kernel does not provide "
            "(--isolation landlock); boot with lsm=...,landlock, or run where user namespaces "
            "work (sandbox doctor)");
  caller.landlock_abi = 4;
  o.uid = 0;
  auto as_root = Build(o, caller);
  ASSERT_FALSE(as_root);
  EXPECT_NE(as_root.error().message.find("runs the job as the caller (uid 1000)"),
            std::string::npos);
  o.uid.reset();
  o.seccomp_action = "log";
  auto logged = Build(o, caller);
  ASSERT_FALSE(logged);
  EXPECT_NE(logged.error().message.find("cannot use --seccomp-action log"), std::string::npos);
  o.seccomp_action.reset();
  o.allow_hosts = {{"registry.test", "--allow-host registry.test", {}}};
  auto egress = Build(o, caller);
  ASSERT_FALSE(egress);
  EXPECT_NE(egress.error().message.find("no network of its own for an egress allow-list"),
            std::string::npos);
}

// RLIMIT_NPROC counts every process of the caller's uid: the job gets `pids` more than now.
TEST(PolicyBuildTest, IsolationLandlockTurnsPidsIntoNprocAboveTheCallersCount) {
  auto o = WithCommand();
  o.isolation = "landlock";
  o.limits = {{"pids", "20", "--limit pids=20"}};
  Caller caller = TestCaller();
  caller.landlock_abi = 6;
  caller.count_user_processes = [](uid_t) -> uint64_t { return 37; };
  auto p = Build(o, caller);
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_FALSE(p->cgroup().pids_max);
  bool found = false;
  for (const ResourceLimit& l : p->limits()) {
    if (l.resource != RLIMIT_NPROC) continue;
    found = true;
    EXPECT_EQ(l.value, 57u);
  }
  EXPECT_TRUE(found);
}

TEST(PolicyBuildTest, MissingSourceFailsUnlessOptional) {
  auto o = WithCommand();
  o.mounts = {Request(MountKind::kBind, "/nonexistent/sandbox-test", "/x")};
  auto p = Build(o, TestCaller());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(),
            "cannot use bind source /nonexistent/sandbox-test: No such file or directory "
            "(--bind /nonexistent/sandbox-test /x); create it, or use the -try form to skip a "
            "missing source");
  o.mounts[0].optional = true;
  p = Build(o, TestCaller());
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->mounts().empty());
}

TEST(PolicyBuildTest, RelativeDestinationIsAnError) {
  auto o = WithCommand();
  o.mounts = {Request(MountKind::kTmpfs, "", "tmp")};
  auto p = Build(o, TestCaller());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().where->file, "--tmpfs  tmp");
}

TEST(PolicyBuildTest, NoCommandIsAnError) {
  auto p = Build(cli::CliOptions{}, TestCaller());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message, "no command given");
}

TEST(PolicyBuildTest, PassFdMustBeOpen) {
  auto o = WithCommand();
  int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 3);
  o.pass_fds = {fd, fd, 1};
  auto p = Build(o, TestCaller());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->pass_fds(), (std::vector<int>{fd}));  // deduplicated; 0-2 always pass
  ::close(fd);
  EXPECT_FALSE(Build(o, TestCaller()));
}

TEST(PolicyBuildTest, IdentityAndProcessOptions) {
  auto o = WithCommand();
  o.uid = 1000;
  o.gid = 1000;
  o.hostname = "builder";
  o.share_net = true;
  o.chdir = "/work//src";
  o.timeout = std::chrono::milliseconds(5000);
  auto p = Build(o, TestCaller());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->identity().inner_uid, 1000u);
  EXPECT_EQ(p->hostname(), "builder");
  EXPECT_EQ(p->network(), NetworkMode::kHost);
  EXPECT_EQ(p->cwd(), "/work/src");
  EXPECT_TRUE(p->cwd_required());
  EXPECT_EQ(p->timeout(), std::chrono::milliseconds(5000));
  o.hostname = std::string(65, 'h');
  EXPECT_FALSE(Build(o, TestCaller()));
}

}  // namespace
}  // namespace sandbox::policy

namespace sandbox::policy {
namespace {

TEST(PolicyLimitsTest, CoreIsZeroByDefaultAndFlagsOverride) {
  cli::CliOptions o;
  o.command = {"true"};
  auto p = Build(o, Caller{});
  ASSERT_TRUE(p);
  ASSERT_EQ(p->limits().size(), 1u);
  EXPECT_EQ(p->limits()[0].name, "core");
  EXPECT_EQ(p->limits()[0].value, 0u);

  o.limits = {
      {"nproc", "64", ""}, {"fsize", "8G", ""}, {"cpu", "2h", ""}, {"core", "unlimited", ""}};
  p = Build(o, Caller{});
  ASSERT_TRUE(p) << p.error().ToString();
  ASSERT_EQ(p->limits().size(), 4u);
  EXPECT_EQ(p->limits()[0].value, RLIM_INFINITY);  // core, overridden in place
  EXPECT_EQ(p->limits()[1].resource, RLIMIT_NPROC);
  EXPECT_EQ(p->limits()[1].value, 64u);
  EXPECT_EQ(p->limits()[2].value, 8ULL << 30);
  EXPECT_EQ(p->limits()[3].value, 7200u);
}

TEST(PolicyLimitsTest, BadLimitsAreErrors) {
  cli::CliOptions o;
  o.command = {"true"};
  o.limits = {{"procs", "1", ""}};
  auto p = Build(o, Caller{});
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(),
            "unknown limit \"procs\"; known limits: nofile, nproc, fsize, cpu, core, stack, as, "
            "memory, pids, cpus, tmpfs, tmpfs_total");
  o.limits = {{"nofile", "many", ""}};
  EXPECT_FALSE(Build(o, Caller{}));
}

}  // namespace
}  // namespace sandbox::policy

namespace sandbox::policy {
namespace {

TEST(PolicyCgroupTest, CgroupLimitsParse) {
  cli::CliOptions o;
  o.command = {"true"};
  o.limits = {{"memory", "512M", ""}, {"pids", "100", ""}, {"cpus", "1.5", ""}};
  auto p = Build(o, Caller{});
  ASSERT_TRUE(p) << p.error().ToString();
  EXPECT_EQ(p->cgroup().memory_max, 512u << 20);
  EXPECT_EQ(p->cgroup().pids_max, 100u);
  EXPECT_EQ(p->cgroup().cpu_quota_us, 150000u);
  EXPECT_EQ(p->limits().size(), 1u);  // only core: cgroup limits are not rlimits
  o.limits = {{"cpus", "0", ""}};
  EXPECT_FALSE(Build(o, Caller{}));
  o.limits = {{"pids", "unlimited", ""}};
  EXPECT_FALSE(Build(o, Caller{}));
}

TEST(PolicyBuildTest, SeccompIsOnByDefaultAndNamesAreChecked) {
  cli::CliOptions o = WithCommand();
  auto p = Build(o, TestCaller());
  ASSERT_TRUE(p);
  ASSERT_TRUE(p->seccomp());
  EXPECT_EQ(p->seccomp()->action, seccomp::Action::kErrno);

  o.seccomp_policy = "none";
  p = Build(o, TestCaller());
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->seccomp());

  o = WithCommand();
  o.seccomp_action = "kill";
  o.seccomp_deny = {{"uname", SourceLocation{"p.toml", 3, 9}}};
  o.seccomp_allow = {{"keyctl", SourceLocation{"p.toml", 4, 10}}};
  p = Build(o, TestCaller());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->seccomp()->action, seccomp::Action::kKill);
  EXPECT_EQ(p->seccomp()->deny, std::vector<std::string>{"uname"});
  EXPECT_EQ(p->seccomp()->allow, std::vector<std::string>{"keyctl"});

  o.seccomp_allow = {{"keyctrl", SourceLocation{"p.toml", 4, 10}}};
  p = Build(o, TestCaller());
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().ToString(),
            "p.toml:4:10: unknown system call \"keyctrl\"; did you mean \"keyctl\"?");
}

// With no network, the job reads the sandbox's own nsswitch.conf (hosts: files) wherever it
// would have read the host's, so an unknown name fails for good (EAI_NONAME).
TEST(PolicyBuildTest, NoNetworkReplacesTheHostsNameServiceFiles) {
  struct stat st = {};
  if (::lstat("/etc/nsswitch.conf", &st) != 0 || !S_ISREG(st.st_mode)) {
    GTEST_SKIP() << "no regular /etc/nsswitch.conf on this machine";
  }
  auto generated = [](const Policy& p) {
    std::vector<std::string> targets;
    for (const MountOp& op : p.mounts()) {
      if (op.origin.file == "network none") {
        EXPECT_EQ(op.kind, MountKind::kReadOnlyBindData);
        targets.push_back(op.target);
      }
    }
    return targets;
  };
  cli::CliOptions o = WithCommand();
  o.mounts = {Request(MountKind::kReadOnlyBind, "/etc", "/etc")};
  auto p = Build(o, TestCaller());
  ASSERT_TRUE(p) << p.error().ToString();
  std::vector<std::string> targets = generated(*p);
  ASSERT_FALSE(targets.empty());
  EXPECT_EQ(targets[0], "/etc/nsswitch.conf");
  const MountOp& nsswitch = *std::find_if(p->mounts().begin(), p->mounts().end(),
                                          [](const MountOp& op) { return !op.content.empty(); });
  EXPECT_NE(nsswitch.content.find("\nhosts:      files\n"), std::string::npos);

  o.share_net = true;  // the host's network: the host's resolver too
  EXPECT_TRUE(generated(*Build(o, TestCaller())).empty());
  o.share_net = false;
  o.mounts.push_back(Request(MountKind::kTmpfs, "", "/etc"));  // nothing of the host's /etc
  EXPECT_TRUE(generated(*Build(o, TestCaller())).empty());
  // A file of the user's own bound there is theirs to keep.
  std::string own = ::testing::TempDir() + "/own-nsswitch.conf";
  ::close(::open(own.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  o.mounts = {Request(MountKind::kReadOnlyBind, own, "/etc/nsswitch.conf")};
  EXPECT_TRUE(generated(*Build(o, TestCaller())).empty());
}

TEST(PolicyBuildTest, EgressAllowListAndPins) {
  cli::CliOptions o = WithCommand();
  o.allow_hosts = {{"registry.test:8080", "--allow-host registry.test:8080", {}},
                   {"*.example.org", "p.toml:3:12", {"p.toml", 3, 12}}};
  o.resolve_pins = {{"registry.test:127.0.0.1", "--resolve registry.test:127.0.0.1", {}}};
  auto p = Build(o, TestCaller());
  ASSERT_TRUE(p) << p.error().ToString();
  const EgressPlan& egress = p->egress();
  EXPECT_EQ(egress.mode, EgressPlan::Mode::kAllowList);
  ASSERT_EQ(egress.allow.size(), 2u);
  EXPECT_EQ(egress.allow[0].host, "registry.test");
  EXPECT_EQ(egress.allow[0].ports, std::vector<uint16_t>{8080});
  EXPECT_EQ(egress.allow[1].origin, "p.toml:3:12");
  ASSERT_EQ(egress.resolve.size(), 1u);
  EXPECT_EQ(egress.resolve[0].address, "127.0.0.1");
  // Programs that honour proxy variables find the proxy; localhost stays direct.
  EXPECT_TRUE(HasEnv(*p, "https_proxy=http://127.0.0.1:3128"));
  EXPECT_TRUE(HasEnv(*p, "HTTP_PROXY=http://127.0.0.1:3128"));
  EXPECT_TRUE(HasEnv(*p, "NO_PROXY=localhost,127.0.0.1,::1"));
  EXPECT_FALSE(Build(WithCommand(), TestCaller())->egress().on());
  EXPECT_FALSE(HasEnv(*Build(WithCommand(), TestCaller()), "https_proxy=http://127.0.0.1:3128"));
}

TEST(PolicyBuildTest, EgressRefusals) {
  cli::CliOptions bad = WithCommand();
  bad.allow_hosts = {{"exa mple", "p.toml:3:12", {"p.toml", 3, 12}}};
  EXPECT_EQ(Build(bad, TestCaller()).error().ToString(),
            "p.toml:3:12: \"exa mple\" is not a host name or IP address; write HOST[:PORT]: a DNS "
            "name (example.org), *.example.org for its subdomains, an IPv4 address or a "
            "bracketed IPv6 one ([2001:db8::1]:443)");
  cli::CliOptions shared = WithCommand();
  shared.share_net = true;
  shared.allow_hosts = {{"a.test", "--allow-host a.test", {}}};
  EXPECT_EQ(Build(shared, TestCaller()).error().message,
            "--allow-host a.test cannot be combined with the host's network (--share-net or "
            "[sandbox] network = \"host\")");
  cli::CliOptions no_fence = WithCommand();
  no_fence.network = "log";
  no_fence.seccomp_action = "kill";
  EXPECT_EQ(Build(no_fence, TestCaller()).error().message,
            "--network log needs the seccomp filter's socket fence");
  cli::CliOptions lone_pin = WithCommand();
  lone_pin.resolve_pins = {{"a.test:1.2.3.4", "--resolve a.test:1.2.3.4", {}}};
  EXPECT_EQ(Build(lone_pin, TestCaller()).error().ToString(),
            "--resolve has no effect without --allow-host or --network log (--resolve "
            "a.test:1.2.3.4)");
  cli::CliOptions bad_pin = WithCommand();
  bad_pin.network = "log";
  bad_pin.resolve_pins = {{"a.test:nowhere", "--resolve a.test:nowhere", {}}};
  EXPECT_FALSE(Build(bad_pin, TestCaller()));
}

}  // namespace
}  // namespace sandbox::policy

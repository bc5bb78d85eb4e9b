#include "app/doctor.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

namespace sandbox::app::doctor {
namespace {

namespace fs = std::filesystem;

bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// A fake host root in a temp dir: tests write the files a check reads below it.
class FakeHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sandbox-doctor-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    files_.root = tmpl;
  }
  void TearDown() override { fs::remove_all(files_.root); }

  void Write(const std::string& path, const std::string& text, mode_t mode = 0644) {
    fs::path full = files_.Path(path);
    fs::create_directories(full.parent_path());
    std::ofstream(full) << text;
    ::chmod(full.c_str(), mode);
  }

  // A cgroup v2 host with this process in /user.slice/run.scope.
  std::string FakeCgroup(const std::string& controllers, const std::string& enabled) {
    Write("/proc/self/mountinfo",
          "24 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
          "41 31 0:38 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n");
    Write("/proc/self/cgroup", "0::/user.slice/run.scope\n");
    std::string dir = "/sys/fs/cgroup/user.slice/run.scope";
    Write(dir + "/cgroup.controllers", controllers);
    Write(dir + "/cgroup.subtree_control", enabled);
    Write(dir + "/cgroup.type", "domain\n");
    return dir;
  }

  HostFiles files_;
};

TEST_F(FakeHostTest, ReadIntTakesOneInteger) {
  Write("/proc/sys/user/max_user_namespaces", "15000\n");
  Write("/proc/sys/kernel/bad", "12abc\n");
  Write("/proc/sys/kernel/two", "1 2\n");
  EXPECT_EQ(files_.ReadInt("/proc/sys/user/max_user_namespaces"), 15000);
  EXPECT_EQ(files_.ReadInt("/proc/sys/kernel/bad"), std::nullopt);
  EXPECT_EQ(files_.ReadInt("/proc/sys/kernel/two"), std::nullopt);
  EXPECT_EQ(files_.ReadInt("/proc/sys/kernel/absent"), std::nullopt);
}

// PATH's bwrap: another program, the drop-in (a hard link, or a symlink to it), or a symlink
// straight to sandbox, which clients that resolve it start as `sandbox`.
TEST_F(FakeHostTest, BwrapDropInIsAHardLinkNotASymlinkToSandbox) {
  const std::string r = files_.root;
  Write("/bin/sandbox", "binary", 0755);
  Write("/other/bwrap", "bubblewrap", 0755);
  fs::create_directories(r + "/libexec");
  fs::create_hard_link(r + "/bin/sandbox", r + "/libexec/bwrap");
  fs::create_directories(r + "/sym");
  fs::create_symlink(r + "/bin/sandbox", r + "/sym/bwrap");
  fs::create_directories(r + "/tosdropin");
  fs::create_symlink(r + "/libexec/bwrap", r + "/tosdropin/bwrap");
  const std::string own = r + "/bin/sandbox";
  const std::string dropin = r + "/libexec/bwrap";

  CheckResult none = CheckBwrapDropIn(r + "/empty", own, dropin);
  EXPECT_TRUE(none.ok);
  EXPECT_EQ(none.detail, "no bwrap on PATH; sandbox's drop-in is " + dropin);
  CheckResult other = CheckBwrapDropIn(r + "/empty:" + r + "/other:" + r + "/sym", own, dropin);
  EXPECT_TRUE(other.ok);
  EXPECT_EQ(other.detail, r + "/other/bwrap is not sandbox; sandbox's drop-in is " + dropin);
  CheckResult hard = CheckBwrapDropIn(r + "/libexec:" + r + "/sym", own, dropin);
  EXPECT_TRUE(hard.ok) << hard.detail;
  EXPECT_TRUE(Contains(hard.detail, "is sandbox's drop-in")) << hard.detail;
  EXPECT_TRUE(CheckBwrapDropIn(r + "/tosdropin", own, dropin).ok);
  CheckResult sym = CheckBwrapDropIn(r + "/sym:" + r + "/libexec", own, dropin);
  EXPECT_FALSE(sym.ok);
  EXPECT_FALSE(sym.required);
  EXPECT_TRUE(Contains(sym.detail, "is a symlink to " + own)) << sym.detail;
  EXPECT_EQ(sym.fix, "use the hard link instead: ln -f " + own + " " + r + "/sym/bwrap");
  // Not installed (a build tree): the drop-in is any hard link or copy named bwrap.
  CheckResult built = CheckBwrapDropIn(r + "/empty", own, r + "/absent/bwrap");
  EXPECT_EQ(built.detail,
            "no bwrap on PATH; sandbox's drop-in is a hard link or copy of "
            "sandbox named bwrap");
}

TEST(DoctorParseTest, UnifiedCgroupPath) {
  EXPECT_EQ(UnifiedCgroupPath("0::/user.slice/a.scope\n"), "/user.slice/a.scope");
  EXPECT_EQ(UnifiedCgroupPath("4:memory:/x\n1:cpu:/\n0::/\n"), "/");
  EXPECT_EQ(UnifiedCgroupPath("4:memory:/x\n1:name=systemd:/\n"), std::nullopt);
  EXPECT_EQ(UnifiedCgroupPath(""), std::nullopt);
}

TEST(DoctorParseTest, Cgroup2MountPoint) {
  EXPECT_EQ(Cgroup2MountPoint("24 1 254:0 / / rw - ext4 /dev/vda rw\n"
                              "41 31 0:38 / /sys/fs/cgroup rw shared:9 - cgroup2 cgroup2 rw\n"),
            "/sys/fs/cgroup");
  // Hybrid: v1 hierarchies plus the unified one below them.
  EXPECT_EQ(Cgroup2MountPoint("30 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                              "31 25 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"),
            "/sys/fs/cgroup/unified");
  EXPECT_EQ(Cgroup2MountPoint("30 25 0:26 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"),
            std::nullopt);
  EXPECT_EQ(Cgroup2MountPoint("garbage - cgroup2\n"), std::nullopt);
}

TEST(DoctorParseTest, SubordinateRange) {
  const char* file =
      "# comment\n"
      "alice:100000:65536\n"
      "1001:165536:65536\n"
      "broken\n"
      "carol::\n";
  EXPECT_EQ(SubordinateRange(file, "alice", 1000), "100000:65536");
  EXPECT_EQ(SubordinateRange(file, "bob", 1001), "165536:65536");  // by uid
  EXPECT_EQ(SubordinateRange(file, "carol", 1002), std::nullopt);
  EXPECT_EQ(SubordinateRange(file, "", 4242), std::nullopt);
}

TEST(DoctorParseTest, StatusField) {
  const char* status = "Name:\tsh\nSeccomp:\t2\nSeccomp_filters:\t1\n";
  EXPECT_EQ(StatusField(status, "Seccomp"), "2");
  EXPECT_EQ(StatusField(status, "Seccomp_filters"), "1");
  EXPECT_EQ(StatusField(status, "NoNewPrivs"), std::nullopt);
}

TEST_F(FakeHostTest, CgroupWithControllersEnabledIsOk) {
  FakeCgroup("cpuset cpu io memory pids\n", "cpu memory pids\n");
  CheckResult r = CheckCgroupDelegation(files_);
  EXPECT_TRUE(r.ok) << FormatLine(r);
  EXPECT_EQ(r.detail,
            "/sys/fs/cgroup/user.slice/run.scope: writable; controllers available: cpuset cpu io "
            "memory pids; enabled for sub-cgroups: cpu memory pids");
}

TEST_F(FakeHostTest, CgroupWithControllersOnlyAvailableCannotEnableThem) {
  FakeCgroup("cpu memory pids\n", "");
  CheckResult r = CheckCgroupDelegation(files_);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.required);
  EXPECT_TRUE(Contains(r.fix,
                       "enable memory pids cpu in /sys/fs/cgroup/user.slice/run.scope/"
                       "cgroup.subtree_control"))
      << r.fix;
}

TEST_F(FakeHostTest, RootCgroupMayEnableControllers) {
  FakeCgroup("cpu memory pids\n", "");
  fs::remove(files_.Path("/sys/fs/cgroup/user.slice/run.scope/cgroup.type"));
  EXPECT_TRUE(CheckCgroupDelegation(files_).ok);
}

TEST_F(FakeHostTest, CgroupWithoutDelegatedControllers) {
  FakeCgroup("cpuset io\n", "");
  CheckResult r = CheckCgroupDelegation(files_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(Contains(r.fix, "Delegate=yes")) << r.fix;
  EXPECT_TRUE(Contains(r.fix, "(missing: memory pids cpu)")) << r.fix;
}

TEST_F(FakeHostTest, NoCgroup2AndHybridHosts) {
  Write("/proc/self/mountinfo", "30 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw\n");
  Write("/proc/self/cgroup", "4:memory:/\n");
  CheckResult r = CheckCgroupDelegation(files_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(Contains(r.detail, "no cgroup2 filesystem is mounted")) << r.detail;
  EXPECT_TRUE(Contains(r.fix, "systemd.unified_cgroup_hierarchy=1")) << r.fix;

  Write("/proc/self/mountinfo", "31 25 0:27 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n");
  Write("/proc/self/cgroup", "4:memory:/\n0::/\n");
  Write("/sys/fs/cgroup/unified/cgroup.controllers", "");
  r = CheckCgroupDelegation(files_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(Contains(r.detail, "a hybrid host")) << r.detail;
  EXPECT_TRUE(Contains(r.fix, "systemd.unified_cgroup_hierarchy=1")) << r.fix;
}

TEST_F(FakeHostTest, Seccomp) {
  Write("/proc/sys/kernel/seccomp/actions_avail", "kill_process errno user_notif log allow\n");
  Write("/proc/self/status", "Name:\tx\nSeccomp:\t0\nSeccomp_filters:\t0\n");
  CheckResult r = CheckSeccomp(files_);
  EXPECT_TRUE(r.ok) << FormatLine(r);
  EXPECT_EQ(FormatLine(r),
            "ok       seccomp: filters with user notification (actions: kill_process errno "
            "user_notif log allow)");

  Write("/proc/sys/kernel/seccomp/actions_avail", "kill_process errno log allow\n");
  Write("/proc/self/status", "Name:\tx\nSeccomp:\t2\nSeccomp_filters:\t1\n");
  r = CheckSeccomp(files_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(Contains(r.detail, "already runs under 1 filter(s)")) << r.detail;
  EXPECT_TRUE(Contains(r.fix, "USER_NOTIF")) << r.fix;

  fs::remove(files_.Path("/proc/sys/kernel/seccomp/actions_avail"));
  r = CheckSeccomp(files_);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(Contains(r.fix, "CONFIG_SECCOMP_FILTER")) << r.fix;
}

TEST_F(FakeHostTest, UserNamespaceFailureNamesTheSysctl) {
  Write("/proc/sys/user/max_user_namespaces", "0\n");
  CheckResult r = ExplainUserNamespaceFailure(files_, "unshare", ENOSPC);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.required);
  EXPECT_EQ(r.detail, "unshare: No space left on device (user.max_user_namespaces = 0)");
  EXPECT_TRUE(Contains(r.fix, "sysctl -w user.max_user_namespaces=15000")) << r.fix;

  Write("/proc/sys/user/max_user_namespaces", "100\n");
  Write("/proc/sys/kernel/unprivileged_userns_clone", "0\n");
  r = ExplainUserNamespaceFailure(files_, "unshare", EPERM);
  EXPECT_TRUE(Contains(r.fix, "kernel.unprivileged_userns_clone=1")) << r.fix;

  Write("/proc/sys/kernel/unprivileged_userns_clone", "1\n");
  Write("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n");
  r = ExplainUserNamespaceFailure(files_, "write /proc/self/uid_map", EPERM);
  EXPECT_TRUE(Contains(r.fix, "AppArmor")) << r.fix;
  EXPECT_TRUE(Contains(r.detail, "kernel.apparmor_restrict_unprivileged_userns = 1")) << r.detail;

  Write("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "0\n");
  Write("/proc/self/status", "Name:\tx\nSeccomp:\t2\n");
  r = ExplainUserNamespaceFailure(files_, "unshare", EPERM);
  EXPECT_TRUE(Contains(r.fix, "seccomp")) << r.fix;

  r = ExplainUserNamespaceFailure(files_, "unshare", ENOSPC);
  EXPECT_TRUE(Contains(r.fix, "limit of user namespaces is reached")) << r.fix;
}

// Off, on with our profile, on without it: three answers, the last with the exact fix.
TEST_F(FakeHostTest, AppArmorUsernsRestrictionIsToldApart) {
  CheckResult r = CheckAppArmorUserns(files_, "/usr/bin/sandbox");
  EXPECT_TRUE(r.ok) << FormatLine(r);
  EXPECT_TRUE(Contains(r.detail, "not on this kernel")) << r.detail;

  Write("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "0\n");
  r = CheckAppArmorUserns(files_, "/usr/bin/sandbox");
  EXPECT_TRUE(r.ok) << FormatLine(r);
  EXPECT_TRUE(Contains(r.detail, "off")) << r.detail;

  Write("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n");
  Write("/proc/self/attr/current", "unconfined\n");
  r = CheckAppArmorUserns(files_, "/usr/bin/sandbox");
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.required);
  EXPECT_TRUE(Contains(r.detail, "runs as `unconfined`")) << r.detail;
  EXPECT_TRUE(
      Contains(r.fix, "sudo cp /usr/share/sandbox/apparmor/sandbox /etc/apparmor.d/sandbox"))
      << r.fix;
  EXPECT_TRUE(Contains(r.fix, "apparmor_restrict_unprivileged_userns=0")) << r.fix;

  // A binary elsewhere (a build directory) needs a profile naming its own path.
  r = CheckAppArmorUserns(files_, "/home/u/src/sandbox/build/sandbox");
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(
      Contains(r.fix, "profile sandbox /home/u/src/sandbox/build/sandbox flags=(unconfined)"))
      << r.fix;

  // A label that only starts with the name is someone else's profile.
  Write("/proc/self/attr/current", "sandboxed-app (enforce)\n");
  EXPECT_FALSE(CheckAppArmorUserns(files_, "/usr/bin/sandbox").ok);

  // The AppArmor-only interface wins over the shared one.
  Write("/proc/self/attr/apparmor/current", "sandbox (unconfined)\n");
  r = CheckAppArmorUserns(files_, "/usr/bin/sandbox");
  EXPECT_TRUE(r.ok) << FormatLine(r);
  EXPECT_TRUE(Contains(r.detail, "on; this binary runs under the AppArmor profile")) << r.detail;
  Write("/proc/self/attr/apparmor/current", "sandbox-bwrap (unconfined)\n");
  EXPECT_TRUE(CheckAppArmorUserns(files_, "/usr/libexec/sandbox/bwrap-compat/bwrap").ok);
}

TEST_F(FakeHostTest, SubordinateIds) {
  CheckResult r = CheckSubordinateIds(files_, "alice", 1000);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.fix,
            "sudo apt-get install uidmap; sudo usermod --add-subuids 100000-165535 "
            "--add-subgids 100000-165535 alice");

  Write("/usr/bin/newuidmap", "", 04755);
  Write("/usr/bin/newgidmap", "", 04755);
  Write("/etc/subuid", "alice:100000:65536\n");
  Write("/etc/subgid", "1000:100000:65536\n");
  r = CheckSubordinateIds(files_, "alice", 1000);
  EXPECT_TRUE(r.ok) << FormatLine(r);
  EXPECT_EQ(r.detail,
            "newuidmap/newgidmap installed; /etc/subuid alice:100000:65536; /etc/subgid "
            "alice:100000:65536");
}

TEST(DoctorLandlockTest, AbiOrReason) {
  EXPECT_TRUE(CheckLandlock(6).ok);
  EXPECT_EQ(CheckLandlock(6).detail, "ABI 6");
  EXPECT_TRUE(Contains(CheckLandlock(3).detail, "ABI 3")) << CheckLandlock(3).detail;
  CheckResult off = CheckLandlock(-EOPNOTSUPP);
  EXPECT_FALSE(off.ok);
  EXPECT_FALSE(off.required);
  EXPECT_TRUE(Contains(off.fix, "lsm=")) << off.fix;
  EXPECT_TRUE(Contains(CheckLandlock(-ENOSYS).fix, "CONFIG_SECURITY_LANDLOCK"));
}

TEST(DoctorFormatTest, OneLinePerCheck) {
  CheckResult r;
  r.name = "overlayfs";
  r.ok = false;
  r.detail = "mount overlay: No such device";
  r.fix = "sudo modprobe overlay";
  EXPECT_EQ(FormatLine(r),
            "missing  overlayfs: mount overlay: No such device; fix: sudo modprobe overlay");
  r.ok = true;
  r.detail = "an overlay mounts in a user namespace";
  EXPECT_EQ(FormatLine(r), "ok       overlayfs: an overlay mounts in a user namespace");
}

}  // namespace
}  // namespace sandbox::app::doctor

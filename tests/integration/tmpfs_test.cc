// Every tmpfs the sandbox mounts is bounded (docs/profiles.md, "tmpfs sizes"): the defaults
// and their total, ENOSPC at the bound with the full mount named on stderr and in the report,
// the flag and profile keys that change them, and a later --tmpfs of a profile's target that
// resizes it in place instead of hiding what the profile mounted below it.
#include <sys/sysinfo.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "fixture.h"

namespace sandbox::testing {
namespace {

class TmpfsTest : public SandboxTest {
 protected:
  // What a tmpfs without a size gets when `unsized` of them share the default total.
  static uint64_t DefaultShare(uint64_t unsized) {
    struct sysinfo info;
    EXPECT_EQ(::sysinfo(&info), 0);
    uint64_t ram = uint64_t{info.totalram} * info.mem_unit;
    uint64_t per_mount = std::min(ram / 4, uint64_t{4} << 30);
    uint64_t total = std::min(ram / 2, uint64_t{8} << 30);
    uint64_t share = std::min(per_mount, total / unsized);
    return share - share % 4096;
  }

  std::string Size(const std::vector<std::string>& flags, const std::string& path) {
    RunResult r = RunProbe(flags, {"statfs-size", path});
    EXPECT_EQ(r.exit_code, 0) << r;
    return r.out;
  }
};

// The common flags mount /tmp and /dev (with its own /dev/shm): two share the default total.
TEST_F(TmpfsTest, EveryWritableTmpfsHasADefaultBound) {
  std::string share = std::to_string(DefaultShare(2)) + "\n";
  EXPECT_EQ(Size({}, "/tmp"), share);
  EXPECT_EQ(Size({}, "/dev/shm"), share);
  RunResult type = RunProbe({}, {"statfs-type", "/dev/shm"});
  EXPECT_EQ(type.out, std::string(kTmpfsMagic) + " rw\n") << "a tmpfs of its own\n" << type;
  // The root and /dev themselves hold only what the sandbox put there: a few MiB at most.
  for (const char* own : {"/", "/dev"}) {
    RunResult r = RunProbe({}, {"statfs-size", own});
    EXPECT_LE(std::stoull(r.out), uint64_t{8} << 20) << own << "\n" << r;
  }
}

TEST_F(TmpfsTest, TheJobGetsEnospcAtTheBoundAndTheFullMountIsNamed) {
  std::string out = MakeDir("out", /*job_writable=*/true);
  std::string report = out + "/report.json";
  RunResult r =
      RunProbe({"--size", "1M", "--tmpfs", "/tmp", "--report", report}, {"fill", "/tmp/big"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "filled 1048576 ENOSPC\n") << r;
  EXPECT_EQ(r.err,
            "sandbox: tmpfs /tmp is full (1048576 bytes): the job got ENOSPC there; give it a "
            "size (--size before --tmpfs, size in a profile) or raise --limit tmpfs=SIZE\n")
      << r;
  RunResult check =
      RunProcess({"/usr/bin/env", "python3", SANDBOX_CHECK_REPORT, SANDBOX_REPORT_SCHEMA, report,
                  "--expect", R"(resources.tmpfs_full=[{"target":"/tmp","size_bytes":1048576}])"},
                 DefaultOptions());
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(report);
  // /dev/shm (POSIX shared memory) is bounded and named the same way.
  r = RunProbe({"--limit", "tmpfs=2M"}, {"fill", "/dev/shm/segment"});
  EXPECT_EQ(r.out, "filled 2097152 ENOSPC\n") << r;
  EXPECT_NE(r.err.find("sandbox: tmpfs /dev/shm is full (2097152 bytes)"), std::string::npos) << r;
  // Nothing full, nothing said.
  r = RunProbe({"--size", "1M", "--tmpfs", "/tmp"}, {"write", "/tmp/small"});
  EXPECT_EQ(r.err, "") << r;
}

TEST_F(TmpfsTest, TheDefaultAndTheTotalCanBeChangedByFlagAndProfile) {
  EXPECT_EQ(Size({"--limit", "tmpfs=3M"}, "/tmp"), std::to_string(3 << 20) + "\n");
  // Two mounts without a size share a total smaller than twice the default.
  EXPECT_EQ(Size({"--limit", "tmpfs=3M", "--limit", "tmpfs_total=4M"}, "/dev/shm"),
            std::to_string(2 << 20) + "\n");
  std::string profile = MakeFile(
      "p.toml", "[limits]\ntmpfs = \"5M\"\n[[mount]]\ntype = \"tmpfs\"\ntarget = \"/w\"\n");
  EXPECT_EQ(Size({"--profile", profile}, "/w"), std::to_string(5 << 20) + "\n");
  // Sizes asked for count against the total: more than it is refused, with the fix.
  RunResult r =
      RunProbe({"--limit", "tmpfs_total=4M", "--size", "8M", "--tmpfs", "/big"}, {"exit", "0"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_EQ(r.err,
            "sandbox: the tmpfs sizes add up to more than the total of 4M for tmpfs mounts "
            "(--tmpfs /big); give smaller sizes, or raise the total with --limit "
            "tmpfs_total=SIZE ([limits] tmpfs_total in a profile)\n")
      << r;
}

// `--size 64M --tmpfs /tmp` after a profile that mounts a cache under /tmp: the profile's /tmp
// gets the new size in place, and the cache stays visible.
TEST_F(TmpfsTest, ResizingTheProfilesTmpKeepsWhatItMountsBelow) {
  std::string cache = MakeDir("cache");
  MakeFile("cache/marker", "cached\n");
  std::string profile = MakeFile("p.toml",
                                 "[[mount]]\ntype = \"tmpfs\"\ntarget = \"/tmp\"\n"
                                 "[[mount]]\ntype = \"ro-bind\"\nsource = \"" +
                                     cache + "\"\ntarget = \"/tmp/.cache\"\n");
  std::vector<std::string> flags = {"--profile", profile, "--size", "2M", "--tmpfs", "/tmp"};
  RunResult r = RunProbe(flags, {"read", "/tmp/.cache/marker"});
  EXPECT_EQ(r.out, "cached\n") << r;
  EXPECT_EQ(Size(flags, "/tmp"), std::to_string(2 << 20) + "\n");
}

}  // namespace
}  // namespace sandbox::testing

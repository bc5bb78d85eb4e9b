// bwrap mode against what bubblewrap 0.12 fixed in its setup, tried as an attacker would:
// an app that wrote symlinks into its own writable directory (bound again at its next start)
// to have the setup create files, directories, mount points or modes through them on the host
// (GHSA-pxhw-h44j-8pfx, the CVE-2026-87766); and the data descriptors of --file,
// --bind-data and --ro-bind-data, which are closed after one use.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fixture.h"

namespace sandbox::testing {
namespace {

namespace fs = std::filesystem;

class BwrapSetupAttackTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    if (IsSkipped()) return;
    // The victim: a directory of the run user's own outside the sandbox (think ~/.ssh), which
    // the run user could write, so only the setup's path resolution stands in the way.
    victim_ = MakeDir("victim", /*job_writable=*/true);
    victim_file_ = MakeFile("victim/file", "mine\n");
    ASSERT_EQ(::chown(victim_file_.c_str(), RunUid(), RunGid()), 0);
    data_ = MakeDir("data", /*job_writable=*/true);
    payload_ = MakeFile("payload", "pwned\n");
  }

  // The app's own run: it plants `name` -> `text` in its writable /data.
  void Plant(const std::string& name, const std::string& text) {
    RunResult r = RunSandbox({"bwrap", "--ro-bind", BinDir(), BinDir(), "--bind", data_, "/data",
                              BinDir() + "/probe", "symlink", text, "/data/" + name});
    ASSERT_EQ(r.exit_code, 0) << r;
  }

  // The client's next start: /data bound again, then `ops`, with the payload as descriptor 3.
  RunResult Start(const std::vector<std::string>& ops, const std::string& bind = "--bind",
                  const std::string& dir = "") {
    std::vector<std::string> argv = {
        "bwrap", "--ro-bind", BinDir(), BinDir(), bind, dir.empty() ? data_ : dir, "/data"};
    argv.insert(argv.end(), ops.begin(), ops.end());
    argv.insert(argv.end(), {BinDir() + "/probe", "exit", "0"});
    int fd = ::open(payload_.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    SpawnOptions options = DefaultOptions();
    options.inherit_fds = {{3, fd}};
    RunResult r = RunProcess(SandboxArgv(argv), options);
    ::close(fd);
    return r;
  }

  // The victim as it was: only its file, with its content and mode.
  void ExpectVictimUntouched(const std::string& what) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(victim_)) {
      names.push_back(entry.path().filename().string());
    }
    EXPECT_EQ(names, std::vector<std::string>{"file"}) << what;
    struct stat st;
    ASSERT_EQ(::stat(victim_file_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u) << what;
    EXPECT_EQ(ReadHostFile(victim_file_), "mine\n") << what;
  }

  static std::vector<std::vector<std::string>> Operations(const std::string& dir) {
    return {{"--file", "3", dir + "/pwned"},
            {"--bind-data", "3", dir + "/pwned"},
            {"--ro-bind-data", "3", dir + "/pwned"},
            {"--dir", dir + "/new"},
            {"--tmpfs", dir + "/new"},
            {"--mqueue", dir + "/new"},
            {"--symlink", "anything", dir + "/new"},
            {"--ro-bind", BinDir(), dir + "/new"},
            {"--ro-bind", BinDir() + "/probe", dir + "/new"},
            {"--chmod", "0777", dir + "/file"},
            {"--perms", "0700", "--dir", dir + "/sub/new"}};
  }

  std::string victim_;
  std::string victim_file_;
  std::string data_;
  std::string payload_;
};

// Every way a link could lead out: the victim's host path, the same under the setup's own view
// of the host (/oldroot), and a relative climb. Each operation through each link refuses to
// start (the links live on a writable bind of the host, which the sandbox never follows) and
// leaves the victim as it was.
TEST_F(BwrapSetupAttackTest, LinksPlantedInAWritableBindLeadNowhere) {
  ASSERT_NO_FATAL_FAILURE(Plant("abs", victim_));
  ASSERT_NO_FATAL_FAILURE(Plant("old", "/oldroot" + victim_));
  ASSERT_NO_FATAL_FAILURE(Plant("rel", "../../../../../../../../.." + victim_));
  for (const char* link : {"abs", "old", "rel"}) {
    for (const std::vector<std::string>& op : Operations(std::string("/data/") + link)) {
      std::string what = std::string(link) + ": " + op[0] + " " + op.back();
      RunResult r = Start(op);
      EXPECT_EQ(r.exit_code, 1) << what << "\n" << r;
      EXPECT_EQ(r.err.rfind("bwrap: ", 0), 0u) << what << "\n" << r;
      EXPECT_EQ(Lines(r.err).size(), 1u) << what << "\n" << r;
      ExpectVictimUntouched(what);
    }
  }
}

// Links the run user cannot have planted in this start (a read-only bind) are followed as
// bubblewrap 0.12 follows them: inside the new root, where an absolute link names the new
// root's own path. What the setup creates lands in the sandbox, never on the host.
TEST_F(BwrapSetupAttackTest, LinksOnAReadOnlyBindResolveInsideTheNewRoot) {
  ASSERT_NO_FATAL_FAILURE(Plant("abs", victim_));
  ASSERT_NO_FATAL_FAILURE(Plant("old", "/oldroot" + victim_));
  ASSERT_NO_FATAL_FAILURE(Plant("rel", "../../../../../../../../.." + victim_));
  for (const char* link : {"abs", "old", "rel"}) {
    std::string inside = std::string(link) == "old" ? "/oldroot" + victim_ : victim_;
    for (const std::vector<std::string>& op : Operations(std::string("/data/") + link)) {
      std::string what = std::string(link) + ": " + op[0] + " " + op.back();
      // --chmod needs an existing file (nothing there inside); --mqueue an IPC namespace.
      if (op[0] == "--chmod" || op[0] == "--mqueue") continue;
      RunResult r = Start(op, "--ro-bind");
      EXPECT_EQ(r.exit_code, 0) << what << " (inside: " << inside << ")\n" << r;
      ExpectVictimUntouched(what);
    }
    std::vector<std::string> argv = {"bwrap",
                                     "--ro-bind",
                                     BinDir(),
                                     BinDir(),
                                     "--ro-bind",
                                     data_,
                                     "/data",
                                     "--file",
                                     "3",
                                     std::string("/data/") + link + "/pwned",
                                     BinDir() + "/probe",
                                     "read",
                                     inside + "/pwned"};
    int fd = ::open(payload_.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    SpawnOptions options = DefaultOptions();
    options.inherit_fds = {{3, fd}};
    RunResult r = RunProcess(SandboxArgv(argv), options);
    ::close(fd);
    EXPECT_EQ(r.exit_code, 0) << link << "\n" << r;
    EXPECT_EQ(r.out, "pwned\n") << "written inside, at " << inside << "\n" << r;
    ExpectVictimUntouched(link);
  }
}

// bubblewrap 0.12: a data descriptor is closed once copied, so naming it a second time fails
// (before 0.12 the number could name whatever the setup had opened since, and the second file
// came out empty). Ours fails the same way, before anything is made.
TEST_F(BwrapSetupAttackTest, ADataDescriptorServesOnce) {
  for (const char* second : {"--file", "--bind-data", "--ro-bind-data"}) {
    RunResult r = Start({"--tmpfs", "/run", "--file", "3", "/run/a", second, "3", "/run/b"});
    EXPECT_EQ(r.exit_code, 1) << second << "\n" << r;
    EXPECT_EQ(r.err, "bwrap: Can't write data to file /run/b: Bad file descriptor\n")
        << second << "\n"
        << r;
  }
}

}  // namespace
}  // namespace sandbox::testing

// --workspace overlay from inside real sandboxes (docs/workspace.md, "The copy-on-write
// workspace"): the job writes freely, the checkout stays byte-identical, and the change list
// says exactly what the job did.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "workspace_fixture.h"

namespace sandbox::testing {
namespace {

namespace fs = std::filesystem;

class OverlayTest : public WorkspaceTest {
 protected:
  // Every entry under `root`: type, permission bits and content (a link's text), symlinks
  // never followed.
  static std::map<std::string, std::string> Snapshot(const std::string& root) {
    std::map<std::string, std::string> tree;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
      struct stat st {};
      std::string path = it->path().string();
      ::lstat(path.c_str(), &st);
      std::string what = std::to_string(st.st_mode) + " ";
      if (S_ISREG(st.st_mode)) what += ReadHostFile(path);
      if (S_ISLNK(st.st_mode)) what += fs::read_symlink(path).string();
      tree[path.substr(root.size())] = what;
    }
    return tree;
  }

  // The paths whose entry differs between two snapshots.
  static std::string Differences(const std::map<std::string, std::string>& a,
                                 const std::map<std::string, std::string>& b) {
    std::string out;
    for (const auto& [path, what] : a) {
      auto it = b.find(path);
      if (it == b.end())
        out += "gone: " + path + "\n";
      else if (it->second != what)
        out += "changed: " + path + "\n";
    }
    for (const auto& [path, what] : b) {
      if (a.count(path) == 0) out += "new: " + path + "\n";
    }
    return out;
  }

  RunResult CheckReport(const std::string& report, const std::vector<std::string>& expects) {
    std::vector<std::string> argv = {"/usr/bin/env", "python3", SANDBOX_CHECK_REPORT,
                                     SANDBOX_REPORT_SCHEMA, report};
    for (const std::string& e : expects) {
      argv.push_back("--expect");
      argv.push_back(e);
    }
    return RunProcess(argv, DefaultOptions());
  }

  // A checkout with a file to modify, one to delete, one to chmod, one to leave alone.
  std::string MakeCheckout() {
    std::string repo = MakeRepo("proj");
    RunResult r = Host(repo, {"/bin/sh", "-c",
                              "echo keep > keep.txt && echo del > del.txt && "
                              "echo 'echo hi' > tool.sh && mkdir -p dir && echo a > dir/a"});
    EXPECT_EQ(r.exit_code, 0) << r;
    return repo;
  }

  // What the job does: modify, delete, chmod, create (a file, a directory, a symlink out),
  // and try the read-only .git.
  static constexpr char kJob[] =
      "echo two > file && rm del.txt && chmod +x tool.sh && echo n > new.txt && "
      "mkdir nd && echo y > nd/y && ln -s /etc/passwd esc && "
      "(touch .git/planted 2>/dev/null && echo wrote-git); cat file";
};

TEST_F(OverlayTest, TheCheckoutStaysByteIdenticalAndTheChangeListIsWhatTheJobDid) {
  if (::access(kGit, X_OK) != 0) GTEST_SKIP() << "git is not installed";
  std::string repo = MakeCheckout();
  MakeDir("out", /*job_writable=*/true);
  std::string report = scratch() + "/out/report.json";
  auto before = Snapshot(repo);
  RunResult r = Sandbox(repo, {"--profile", "cc", "--workspace", "overlay", "--report", report,
                               "--", "/bin/sh", "-c", kJob});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "two\n") << r;  // the job saw its own writes; .git stayed read-only
  EXPECT_EQ(Differences(before, Snapshot(repo)), "") << "the checkout changed";
  EXPECT_NE(r.err.find("sandbox: 5 files changed, 1 deleted; 2 sensitive: esc (added), "
                       "tool.sh (modified)\n"),
            std::string::npos)
      << r;
  RunResult check = CheckReport(
      report,
      {R"(workspace.mode="overlay")", R"(changes.0.path="del.txt")",
       R"(changes.0.change="deleted")", R"(changes.1.path="esc")",
       R"(changes.1.link="/etc/passwd")", R"(changes.1.flags=["symlink-outside"])",
       R"(changes.2.path="file")", R"(changes.2.change="modified")",
       R"(changes.2.sha256="27dd8ed44a83ff94d557f9fd0412ed5a8cbca69ea04922d88c01184a07300a5a")",
       R"(changes.3.path="nd")", R"(changes.3.type="dir")", R"(changes.4.path="nd/y")",
       R"(changes.5.path="new.txt")", R"(changes.6.path="tool.sh")", R"(changes.6.mode="0755")",
       R"(changes.6.flags=["exec"])"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(report);
}

TEST_F(OverlayTest, ABindRunReportsNoChangesAndTheProfileSaysOverlayToo) {
  std::string proj = MakeDir("proj", /*job_writable=*/true);
  MakeDir("out", /*job_writable=*/true);
  std::string report = scratch() + "/out/report.json";
  RunResult r = Sandbox(proj, {"--profile", "cc", "--report", report, "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.err, "") << r;
  RunResult check = CheckReport(report, {R"(workspace.mode="bind")", "changes=null"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(report);
  // A profile asking for the overlay; a job that writes nothing.
  std::string profile =
      MakeFile("overlay.toml", "extends = \"cc\"\n[workspace]\nmode = \"overlay\"\n");
  r = Sandbox(proj, {"--profile", profile, "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.err, "sandbox: no changes to the workspace\n") << r;
}

TEST_F(OverlayTest, TheUpperLayerIsBoundedLikeTheTmpfsMounts) {
  std::string proj = MakeDir("proj", /*job_writable=*/true);
  RunResult r =
      Sandbox(proj, {"--profile", "cc", "--workspace", "overlay", "--limit", "tmpfs=1M", "--",
                     "/bin/sh", "-c", "head -c 2097152 /dev/zero > big || echo refused"});
  EXPECT_EQ(r.out, "refused\n") << r;
  struct stat st {};
  EXPECT_NE(::lstat((proj + "/big").c_str(), &st), 0);
}

TEST_F(OverlayTest, ChangesFailReturnsItsOwnStatus) {
  std::string proj = MakeDir("proj", /*job_writable=*/true);
  auto run = [&](const std::string& job) {
    return Sandbox(proj, {"--profile", "cc", "--workspace", "overlay", "--changes", "fail", "--",
                          "/bin/sh", "-c", job});
  };
  RunResult r = run("echo x > built");
  EXPECT_EQ(r.exit_code, 123) << r;
  EXPECT_NE(r.err.find("sandbox: --changes fail: the job changed the checkout (exit 123)"),
            std::string::npos)
      << r;
  EXPECT_EQ(run("cat /dev/null").exit_code, 0);
  EXPECT_EQ(run("echo x > built; exit 3").exit_code, 3);  // the job's failure wins
  // Only with the overlay.
  r = Sandbox(proj, {"--profile", "cc", "--changes", "fail", "--", "/bin/true"});
  EXPECT_EQ(r.exit_code, kExitSandboxFailure) << r;
  EXPECT_NE(r.err.find("--changes needs the workspace overlay"), std::string::npos) << r;
}

TEST_F(OverlayTest, ApplyAndThePatchGiveTheTreeABindRunWouldHaveLeft) {
  if (::access(kGit, X_OK) != 0) GTEST_SKIP() << "git is not installed";
  std::string repo = MakeCheckout();
  std::string copies = MakeDir("copies", /*job_writable=*/true);
  std::string bound = copies + "/bound";
  std::string patched = copies + "/patched";
  std::string again = copies + "/again";
  for (const std::string& copy : {bound, patched, again}) {
    RunResult cp = Host(copies, {"/bin/cp", "-a", repo, copy});
    ASSERT_EQ(cp.exit_code, 0) << cp;
  }
  MakeDir("out", /*job_writable=*/true);
  std::string patch = scratch() + "/out/job.patch";
  RunResult r = Sandbox(bound, {"--profile", "cc", "--", "/bin/sh", "-c", kJob});
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Sandbox(repo, {"--profile", "cc", "--workspace", "overlay", "--changes", "patch=" + patch,
                     "--", "/bin/sh", "-c", kJob});
  ASSERT_EQ(r.exit_code, 0) << r;
  RunResult applied = Host(patched, {kGit, "apply", patch});
  EXPECT_EQ(applied.exit_code, 0) << applied << ReadHostFile(patch);
  EXPECT_EQ(Differences(Snapshot(bound), Snapshot(patched)), "") << ReadHostFile(patch);
  // Sensitive changes (the new executable bit, the symlink out) are refused and named...
  r = Sandbox(repo, {"--profile", "cc", "--workspace", "overlay", "--changes", "apply", "--",
                     "/bin/sh", "-c", kJob});
  EXPECT_EQ(r.exit_code, 123) << r;
  EXPECT_NE(r.err.find("sandbox: not applied: esc: refused: symlink-outside"), std::string::npos)
      << r;
  EXPECT_NE(r.err.find("sandbox: not applied: tool.sh: refused: exec"), std::string::npos) << r;
  // ... unless asked for: then the checkout is what the bind run left.
  r = Sandbox(again, {"--profile", "cc", "--workspace", "overlay", "--changes", "apply",
                      "--include-protected", "--", "/bin/sh", "-c", kJob});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("sandbox: applied 7 changes to " + again), std::string::npos) << r;
  EXPECT_EQ(Differences(Snapshot(bound), Snapshot(again)), "");
}

// Python runs a cached .pyc instead of its unchanged source when the header's mtime and size
// match the source's: a job that forges __pycache__/mod.*.pyc has the host's next `import mod`
// run its code, with the source untouched and __pycache__ git-ignored. In the overlay the
// forged file is flagged `bytecode` and left out by apply (without failing it); the job's
// source change is applied, and the host's Python then runs the source.
TEST_F(OverlayTest, ForgedPythonBytecodeIsNeverApplied) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "python3 is not installed";
  std::string proj = MakeDir("proj", /*job_writable=*/true);
  RunResult r = Host(proj, {"/bin/sh", "-c",
                            "echo 'print(\"genuine\")' > mod.py && echo 'import mod' > main.py && "
                            "python3 -B main.py"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const char* forge =
      "import importlib.util, marshal, os, struct, sys\n"
      "st = os.stat('mod.py')\n"
      "os.makedirs('__pycache__', exist_ok=True)\n"
      "tag = sys.implementation.cache_tag\n"
      "with open(f'__pycache__/mod.{tag}.pyc', 'wb') as f:\n"
      "    f.write(importlib.util.MAGIC_NUMBER + struct.pack('<III', 0, int(st.st_mtime), "
      "st.st_size) + marshal.dumps(compile('print(\"forged\")', 'mod.py', 'exec')))\n";
  std::string job = std::string("python3 -c \"$(cat <<'EOF'\n") + forge +
                    "EOF\n)\" && python3 main.py && echo '# reviewed' > notes.txt";
  // What the forgery does where it lands: a bind run's checkout makes the host run it.
  std::string bound = MakeDir("bound", /*job_writable=*/true);
  ASSERT_EQ(Host(scratch(), {"/bin/cp", "-a", proj + "/.", bound}).exit_code, 0);
  r = Sandbox(bound, {"--profile", "python", "--", "/bin/sh", "-c", job});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "forged\n") << r;
  EXPECT_EQ(Host(bound, {"/usr/bin/python3", "main.py"}).out, "forged\n");
  // The overlay: listed and flagged, never applied; the rest is.
  r = Sandbox(proj, {"--profile", "python", "--workspace", "overlay", "--changes", "apply", "--",
                     "/bin/sh", "-c", job});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("(1 of them Python bytecode)"), std::string::npos) << r;
  EXPECT_NE(r.err.find("sandbox: not applied: 1 Python bytecode file (__pycache__/mod."),
            std::string::npos)
      << r;
  EXPECT_EQ(ReadHostFile(proj + "/notes.txt"), "# reviewed\n");
  EXPECT_EQ(Host(proj, {"/usr/bin/python3", "main.py"}).out, "genuine\n");
}

TEST_F(OverlayTest, KeptChangesAreListedDiffedAppliedSafelyAndDiscarded) {
  if (::access(kGit, X_OK) != 0) GTEST_SKIP() << "git is not installed";
  std::string repo = MakeCheckout();
  MakeDir("home/.ssh", /*job_writable=*/true);
  RunResult r = Sandbox(
      repo, {"--profile", "cc", "--workspace", "overlay", "--workspace-vcs", "rw", "--keep-changes",
             "--name", "kept1", "--", "/bin/sh", "-c",
             "echo two > file && echo k > keep.txt && mkdir -p src && echo x > src/x && "
             "echo s > suid && chmod 4755 suid && echo 'touch pwned' > .git/hooks/pre-commit && "
             "chmod +x .git/hooks/pre-commit"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("sandbox: changes kept in " + home_ + "/.local/state/sandbox/runs/kept1"),
            std::string::npos)
      << r;
  RunResult ps = Sandbox(repo, {"ps", "--all"});
  EXPECT_NE(ps.out.find("kept1"), std::string::npos) << ps;
  RunResult listed = Sandbox(repo, {"changes", "kept1"});
  EXPECT_EQ(listed.exit_code, 0) << listed;
  EXPECT_NE(listed.out.find("modified  file    0644          4  file\n"), std::string::npos)
      << listed;
  EXPECT_NE(listed.out.find(".git/hooks/pre-commit [vcs,exec]"), std::string::npos) << listed;
  EXPECT_NE(listed.out.find("suid [exec,setuid]"), std::string::npos) << listed;
  RunResult diff = Sandbox(repo, {"diff", "kept1", "file"});
  EXPECT_EQ(diff.out,
            "diff --git a/file b/file\nindex 5626abf0f72e58d7a153368ba57db4c673c0e171.."
            "f719efd430d52bcfc8566a43b2eb655688d38871 100644\n--- a/file\n+++ b/file\n"
            "@@ -1,1 +1,1 @@\n-one\n+two\n")
      << diff;
  // The user edits keep.txt meanwhile and plants src -> ~/.ssh: apply writes nothing at all.
  RunResult host =
      Host(repo, {"/bin/sh", "-c", "echo mine > keep.txt && ln -s " + home_ + "/.ssh src"});
  ASSERT_EQ(host.exit_code, 0) << host;
  RunResult apply = Sandbox(repo, {"apply", "kept1"});
  EXPECT_EQ(apply.exit_code, 1) << apply;
  EXPECT_NE(apply.err.find("sandbox: keep.txt: conflict: changed in the checkout since the run"),
            std::string::npos)
      << apply;
  EXPECT_NE(apply.err.find("src/x: conflict: a symlink or file on the way"), std::string::npos)
      << apply;
  EXPECT_EQ(ReadHostFile(repo + "/file"), "one\n");
  EXPECT_FALSE(Exists(home_ + "/.ssh/x"));
  // The paths that do not conflict; the hook and the setuid file are refused and named.
  apply = Sandbox(repo, {"apply", "kept1", "file", "suid", ".git"});
  EXPECT_EQ(apply.exit_code, 1) << apply;
  EXPECT_NE(apply.err.find("not applied: suid: refused: setuid (never applied)"), std::string::npos)
      << apply;
  EXPECT_NE(apply.err.find("not applied: .git/hooks/pre-commit: refused: vcs"), std::string::npos)
      << apply;
  EXPECT_EQ(ReadHostFile(repo + "/file"), "two\n");
  EXPECT_FALSE(Exists(repo + "/suid"));
  EXPECT_FALSE(Exists(repo + "/.git/hooks/pre-commit"));
  apply = Sandbox(repo, {"apply", "kept1", "--include-protected", ".git"});
  EXPECT_EQ(apply.exit_code, 0) << apply;
  EXPECT_EQ(ReadHostFile(repo + "/.git/hooks/pre-commit"), "touch pwned\n");
  RunResult discard = Sandbox(repo, {"discard", "kept1"});
  EXPECT_EQ(discard.exit_code, 0) << discard;
  ps = Sandbox(repo, {"ps", "--all"});
  EXPECT_EQ(ps.out.find("kept1"), std::string::npos) << ps;
  EXPECT_EQ(Sandbox(repo, {"changes", "kept1"}).exit_code, kExitSandboxFailure);
}

}  // namespace
}  // namespace sandbox::testing

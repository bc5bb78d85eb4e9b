#include "report/exit_code.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "common/exit_status.h"
#include "report/bwrap_message.h"

namespace sandbox::report {
namespace {

Outcome WithRecord(Outcome::Kind kind, SetupStep step, int error, const char* path,
                   int op_index = -1, const char* detail = nullptr) {
  Outcome o;
  o.kind = kind;
  o.record = MakeErrorRecord(
      kind == Outcome::Kind::kExecFailed ? RecordKind::kExecError : RecordKind::kSetupError, step,
      error, op_index, path, detail);
  return o;
}

TEST(ExitCodeTest, JobStatusPassesThrough) {
  Outcome o;
  o.kind = Outcome::Kind::kExited;
  o.code = 42;
  EXPECT_EQ(ExitCodeFor(o), 42);
  EXPECT_EQ(MessageFor(o, nullptr), "");
  o.kind = Outcome::Kind::kSignaled;
  o.signal = 9;
  EXPECT_EQ(ExitCodeFor(o), 137);
}

TEST(ExitCodeTest, ReservedCodes) {
  EXPECT_EQ(
      ExitCodeFor(WithRecord(Outcome::Kind::kSetupFailed, SetupStep::kBindMount, ENOENT, "opt")),
      kExitSandboxFailure);
  EXPECT_EQ(
      ExitCodeFor(WithRecord(Outcome::Kind::kExecFailed, SetupStep::kExecute, ENOENT, "make")),
      kExitNotFound);
  EXPECT_EQ(
      ExitCodeFor(WithRecord(Outcome::Kind::kExecFailed, SetupStep::kExecute, EACCES, "make")),
      kExitCannotExecute);
  Outcome timeout;
  timeout.kind = Outcome::Kind::kTimedOut;
  EXPECT_EQ(ExitCodeFor(timeout), kExitTimeout);
}

TEST(ExitCodeTest, SetupMessageNamesStepPathErrnoAndFlag) {
  auto o = WithRecord(Outcome::Kind::kSetupFailed, SetupStep::kBindMount, ENOENT, "opt/gcc", 3);
  EXPECT_EQ(MessageFor(o, [](int i) { return i == 3 ? "--bind /opt/gcc /opt/gcc" : ""; }),
            "sandbox: bind /opt/gcc: No such file or directory [--bind /opt/gcc /opt/gcc]");
  o = WithRecord(Outcome::Kind::kSetupFailed, SetupStep::kCreateMountPoint, ENOENT, "w/x", 0,
                 "a symlink on the way dangles inside the sandbox");
  EXPECT_EQ(MessageFor(o, nullptr),
            "sandbox: create mount point /w/x: No such file or directory (a symlink on the way "
            "dangles inside the sandbox)");
}

TEST(ExitCodeTest, HostLimitsPointAtDoctor) {
  auto o = WithRecord(Outcome::Kind::kSetupFailed, SetupStep::kMountProc, EPERM, "proc", 1);
  EXPECT_EQ(MessageFor(o, [](int) { return "--proc /proc"; }),
            "sandbox: mount proc /proc: Operation not permitted [--proc /proc]; this /proc has "
            "masked or read-only parts (a container's), so the kernel refuses a fresh one: "
            "--host-proc binds this one read-only instead (docs/ci.md), or give the container "
            "an unmasked /proc (docker run --security-opt systempaths=unconfined) "
            "(see: sandbox doctor)");
  o = WithRecord(Outcome::Kind::kSetupFailed, SetupStep::kMakeRootPrivate, EPERM, nullptr);
  EXPECT_EQ(MessageFor(o, nullptr),
            "sandbox: make / private: Operation not permitted (see: sandbox doctor)");
  // Other errors are the user's to fix, not the host's.
  o = WithRecord(Outcome::Kind::kSetupFailed, SetupStep::kMountProc, ENOENT, "proc", 1);
  EXPECT_EQ(MessageFor(o, nullptr), "sandbox: mount proc /proc: No such file or directory");
  o = WithRecord(Outcome::Kind::kSetupFailed, SetupStep::kBindMount, EPERM, "opt", 1);
  EXPECT_EQ(MessageFor(o, nullptr), "sandbox: bind /opt: Operation not permitted");
}

TEST(ExitCodeTest, BwrapBindFdRaceIsBubblewrapsSentence) {
  auto o = WithRecord(Outcome::Kind::kSetupFailed, SetupStep::kCheckBindSource, 0, "mnt", 2,
                      "the mount is not the descriptor's file");
  EXPECT_EQ(BwrapMessageFor(o), "Race condition binding dirfd");
  EXPECT_EQ(MessageFor(o, nullptr),
            "sandbox: check bind source /mnt (the mount is not the descriptor's file)");
}

TEST(ExitCodeTest, BwrapIdSwitchIsBubblewrapsSentence) {
  auto o = WithRecord(Outcome::Kind::kSetupFailed, SetupStep::kSwitchUid, EINVAL, "5");
  EXPECT_EQ(BwrapMessageFor(o), "unable to switch to uid 5: Invalid argument");
  EXPECT_EQ(MessageFor(o, nullptr), "sandbox: switch to uid 5: Invalid argument");
  o = WithRecord(Outcome::Kind::kSetupFailed, SetupStep::kSwitchGid, EPERM, "7");
  EXPECT_EQ(BwrapMessageFor(o), "unable to switch to gid 7: Operation not permitted");
}

TEST(ExitCodeTest, ExecMessage) {
  auto o = WithRecord(Outcome::Kind::kExecFailed, SetupStep::kExecute, ENOENT, "nope");
  EXPECT_EQ(MessageFor(o, nullptr), "sandbox: cannot execute nope: No such file or directory");
}

}  // namespace
}  // namespace sandbox::report

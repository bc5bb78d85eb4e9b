#include "report/bwrap_message.h"

#include <cstring>

#include "report/exit_code.h"

namespace sandbox::report {
namespace {

// bubblewrap's wording per step; %s is the path. Steps it has no words for keep ours.
const char* Phrase(SetupStep step) {
  switch (step) {
    case SetupStep::kCreateMountPoint:
      return "Can't mkdir parents for %s";
    case SetupStep::kBindMount:
      return "Can't bind mount on %s";
    case SetupStep::kMountTmpfs:
      return "Can't mount tmpfs on %s";
    case SetupStep::kMountProc:
      return "Can't mount proc on %s";
    case SetupStep::kMountDev:
      return "Can't mount dev on %s";
    case SetupStep::kMountMqueue:
      return "Can't mount mqueue on %s";
    case SetupStep::kMountOverlay:
      return "Can't make overlay mount on %s";
    case SetupStep::kMakeDirectory:
      return "Can't mkdir %s";
    case SetupStep::kMakeSymlink:
      return "Can't make symlink at %s";
    case SetupStep::kWriteFile:
    case SetupStep::kBindData:
      return "Can't create file at %s";
    case SetupStep::kChangeMode:
      return "Can't chmod %s";
    case SetupStep::kRemountReadOnly:
      return "Can't remount readonly on %s";
    case SetupStep::kChangeDirectory:
      return "Can't chdir to %s";
    case SetupStep::kLockFile:
      return "Unable to lock file %s";
    case SetupStep::kNestUserNamespace:
      return "unshare user ns";
    case SetupStep::kJoinUserNamespace:
      return "Setting userns2 failed";
    case SetupStep::kCheckBindSource:
      return "Race condition binding dirfd";
    case SetupStep::kSwitchUid:
      return "unable to switch to uid %s";
    case SetupStep::kSwitchGid:
      return "unable to switch to gid %s";
    default:
      return nullptr;
  }
}

}  // namespace

std::string BwrapMessageFor(const Outcome& outcome) {
  if (outcome.kind == Outcome::Kind::kExecFailed && outcome.record) {
    const Record& r = *outcome.record;
    std::string line = std::string("execvp ") + r.path;
    if (r.error != 0) line += std::string(": ") + std::strerror(r.error);
    return line;
  }
  if (outcome.kind != Outcome::Kind::kSetupFailed || !outcome.record) {
    std::string ours = MessageFor(outcome, nullptr);
    return ours.rfind("sandbox: ", 0) == 0 ? ours.substr(9) : ours;
  }
  const Record& r = *outcome.record;
  const char* phrase = Phrase(r.step);
  // bubblewrap's sentence says it all: the calls worked, the files differ.
  if (r.step == SetupStep::kCheckBindSource && r.error == 0) return phrase;
  std::string line;
  if (phrase == nullptr) {
    line = SetupStepName(r.step);
    if (r.path[0] != '\0') line += " " + DisplayPath(r);
  } else {
    line = phrase;
    size_t at = line.find("%s");
    if (at != std::string::npos) line.replace(at, 2, DisplayPath(r));
  }
  // A detail that says what went wrong replaces the errno text, as bubblewrap's die() does;
  // one that only names a part follows it.
  std::string detail = r.detail;
  bool explains = detail.rfind("existing destination", 0) == 0 ||
                  detail.rfind("destination exists", 0) == 0 ||
                  detail.rfind("creation of new user namespaces", 0) == 0;
  if (explains)
    return line == SetupStepName(r.step) && r.path[0] == '\0' ? detail : line + ": " + detail;
  if (r.error != 0) line += std::string(": ") + std::strerror(r.error);
  if (!detail.empty()) line += " (" + detail + ")";
  return line;
}

}  // namespace sandbox::report

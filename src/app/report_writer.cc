#include "app/report_writer.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "app/report_details.h"
#include "common/canonical_path.h"
#include "common/syscalls.h"
#include "common/write_all.h"

#ifndef SANDBOX_VERSION
#define SANDBOX_VERSION "0.0.0"
#endif

namespace sandbox::app {
namespace {

std::string NowUtc() {
  std::time_t now = std::time(nullptr);
  std::tm utc = {};
  char text[32] = "";
  if (::gmtime_r(&now, &utc) != nullptr) {
    (void)std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  }
  return text;
}

// `--report FILE` names a file that the job may be able to write (in its checkout, say). The
// report is therefore never opened before the run: the directory is checked now (writable, so
// a bad path stops the run before the job starts), and at the end, once every process of the
// job is gone, the report is written to a new file beside FILE and renamed over it. Whatever
// the job left at FILE (a forged report, a symlink) is replaced, never followed.
Result<ReportDirectory> OpenReportDirectory(const std::string& path) {
  size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") {
    Error e = MakeError("--report " + path + ": not a file name");
    e.hint = "name a file, e.g. --report out/report.json";
    return e;
  }
  std::string real = CanonicalPath(dir);
  ReportDirectory out;
  out.name = name;
  out.fd.Reset(real.empty() ? -1 : ::open(real.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  struct stat st {};
  if (!out.fd || ::fstat(out.fd.get(), &st) != 0) {
    return MakeError("cannot create the report " + path + ": directory " + dir, errno);
  }
  if (::faccessat(out.fd.get(), ".", W_OK | X_OK, AT_EACCESS) != 0) {
    return MakeError("cannot create the report " + path, errno);
  }
  struct stat existing {};
  if (::fstatat(out.fd.get(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
      S_ISDIR(existing.st_mode)) {
    return MakeError("cannot create the report " + path, EISDIR);
  }
  out.path = real;
  return out;
}

// Writes `document` as `dir.name`, atomically, in the directory found at its canonical path
// now, with no symlink followed on the way (the job, gone by now, may have replaced a directory
// with a symlink to elsewhere: then nothing is written, and the caller says so).
Result<void> ReplaceReport(const ReportDirectory& start, const std::string& document) {
  ReportDirectory dir;
  dir.name = start.name;
  dir.path = start.path;
  dir.fd.Reset(sys::OpenAt2(AT_FDCWD, start.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                            RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
  if (!dir.fd) {
    return MakeError("its directory " + start.path + " is gone or reached through a symlink now",
                     errno);
  }
  std::string temp;
  UniqueFd file;
  for (int attempt = 0; attempt < 16 && !file; ++attempt) {
    temp =
        "." + dir.name + ".sandbox-" + std::to_string(::getpid()) + "-" + std::to_string(attempt);
    file.Reset(::openat(dir.fd.get(), temp.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644));
    if (!file && errno != EEXIST) break;
  }
  if (!file) return MakeError("cannot create a file beside it", errno);
  if (!WriteAll(file.get(), document)) {
    int err = errno;
    (void)::unlinkat(dir.fd.get(), temp.c_str(), 0);
    return MakeError("cannot write it", err);
  }
  file.Reset();
  if (::renameat(dir.fd.get(), temp.c_str(), dir.fd.get(), dir.name.c_str()) != 0) {
    int err = errno;
    (void)::unlinkat(dir.fd.get(), temp.c_str(), 0);
    return MakeError("cannot put it in place", err);
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<ReportWriter>> ReportWriter::Open(const cli::CliOptions& options) {
  if (!options.report_path && !options.report_fd) return std::unique_ptr<ReportWriter>();
  std::unique_ptr<ReportWriter> writer(new ReportWriter());
  writer->report_.sandbox_version = std::string(SANDBOX_VERSION);
  writer->report_.started_at = NowUtc();
  writer->report_.command = options.command;
  if (options.report_fd) {
    int fd = *options.report_fd;
    const std::string flag = std::string("--report-fd ").append(std::to_string(fd));
    if (fd <= 2) {
      Error e = MakeError(flag + ": the job's stdio is not for reports");
      e.hint = "use a descriptor above 2, e.g. --report-fd 3 3>report.json";
      return e;
    }
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || (flags & O_ACCMODE) == O_RDONLY) {
      return MakeError(flag + ": not open for writing", flags < 0 ? errno : EBADF);
    }
    writer->fd_ = fd;
  }
  if (options.report_path) {
    auto dir = OpenReportDirectory(*options.report_path);
    if (!dir) return dir.error();
    writer->path_ = *options.report_path;
    writer->dir_ = std::move(dir).value();
  }
  return writer;
}

void ReportWriter::SetPolicy(const policy::Policy& policy) {
  policy_ = &policy;
  report::RunReport& r = report_;
  r.command = policy.command();
  // The namespaces the supervisor clones, in the order the report has always listed them.
  r.namespaces.clear();
  static constexpr struct {
    uint64_t flag;
    const char* name;
  } kNamespaces[] = {{CLONE_NEWUSER, "user"}, {CLONE_NEWNS, "mount"}, {CLONE_NEWPID, "pid"},
                     {CLONE_NEWIPC, "ipc"},   {CLONE_NEWUTS, "uts"},  {CLONE_NEWCGROUP, "cgroup"},
                     {CLONE_NEWNET, "net"}};
  for (const auto& ns : kNamespaces) {
    if ((policy.namespaces() & ns.flag) != 0) r.namespaces.emplace_back(ns.name);
  }
  r.landlock_abi = policy.landlock().abi;
  r.isolation = policy.isolation() == policy::Isolation::kLandlock ? "landlock" : "namespaces";
  r.seccomp_policy = policy.seccomp() ? "default" : "none";
  r.network_mode = policy.network() == policy::NetworkMode::kHost                 ? "host"
                   : policy.egress().mode == policy::EgressPlan::Mode::kAllowList ? "allow-list"
                   : policy.egress().mode == policy::EgressPlan::Mode::kLog       ? "log"
                                                                                  : "none";
  r.seccomp_action.reset();
  if (policy.seccomp()) r.seccomp_action = seccomp::ActionName(policy.seccomp()->action);
  r.rlimits.clear();
  for (const policy::ResourceLimit& limit : policy.limits()) {
    std::optional<uint64_t> value;
    if (limit.value != RLIM_INFINITY) value = limit.value;
    r.rlimits.push_back({limit.name, value});
  }
  r.cgroup_memory_max = policy.cgroup().memory_max;
  r.cgroup_pids_max = policy.cgroup().pids_max;
  r.cgroup_cpu_quota_us = policy.cgroup().cpu_quota_us;
  r.details = DescribePolicy(policy);
}

void ReportWriter::SetProfile(const std::vector<std::string>& names, const std::string& path,
                              const std::vector<std::string>& chain) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ", ") + name;
  report_.profile_name = joined;
  report_.profile_names = names;
  report_.profile_files = chain;
  report_.profile_path = path;
  report_.profile_hash.reset();
  std::vector<std::string> contents;
  for (const std::string& file : chain) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    if (!in) return;
    contents.push_back(content.str());
  }
  report_.profile_hash = report::ProfileHash(contents);
}

void ReportWriter::SetWorkspace(report::WorkspaceReport workspace,
                                std::vector<report::CacheReport> caches) {
  if (!workspace.root.empty()) report_.workspace = std::move(workspace);
  report_.caches = std::move(caches);
}

void ReportWriter::SetMovedAside(std::vector<report::MovedReport> moved) {
  if (report_.workspace) report_.workspace->moved_aside = std::move(moved);
}

void ReportWriter::SetPathShadows(std::vector<report::PathShadowReport> shadows) {
  if (report_.workspace) report_.workspace->path_shadows = std::move(shadows);
}

void ReportWriter::SetToolConfigs(std::vector<report::ToolConfigReport> configs) {
  if (report_.workspace) report_.workspace->tool_configs = std::move(configs);
}

void ReportWriter::SetExitCode(int code) { exit_code_ = code; }

void ReportWriter::SetChanges(std::vector<report::ChangeEntry> changes) {
  report_.changes = std::move(changes);
}

void ReportWriter::OnStep(const Record& record) {
  report::StepTiming step;
  step.step = SetupStepName(record.step);
  if (policy_ != nullptr && record.op_index >= 0 &&
      static_cast<size_t>(record.op_index) < policy_->mounts().size()) {
    step.target = policy_->mounts()[static_cast<size_t>(record.op_index)].target;
  }
  step.nanoseconds = record.nanoseconds;
  report_.setup_steps.push_back(std::move(step));
}

void ReportWriter::OnFinished(const report::Outcome& /*outcome*/) {
  if (stopped_) return;
  stopped_ = true;
  report_.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ReportWriter::WriteOutcome(const report::Outcome& outcome,
                                const report::OpDescriber& describe_op) {
  OnFinished(outcome);
  report::SetOutcome(outcome, describe_op, &report_);
  if (exit_code_) report_.exit_code = *exit_code_;
  Write();
}

void ReportWriter::WriteEarlyFailure(const char* step, const Error& error) {
  OnFinished(report::Outcome{});
  report::SetEarlyFailure(step, error.errno_value, error.where ? error.where->ToString() : "",
                          "sandbox: " + error.ToString(), &report_, error.path);
  Write();
}

void ReportWriter::Write() {
  std::string document = report::RenderReport(report_);
  // A reader that went away must not kill us with SIGPIPE; the job is over by now.
  (void)std::signal(SIGPIPE, SIG_IGN);
  if (dir_.fd) {
    if (auto written = ReplaceReport(dir_, document); !written) {
      (void)std::fprintf(stderr, "sandbox: cannot write the report %s: %s\n", path_.c_str(),
                         written.error().ToString().c_str());
    }
  }
  if (fd_ >= 0 && !WriteAll(fd_, document)) {
    (void)std::fprintf(stderr, "sandbox: cannot write the report to descriptor %d: %s\n", fd_,
                       std::strerror(errno));
  }
  dir_.fd.Reset();
}

}  // namespace sandbox::app

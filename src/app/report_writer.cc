#include "app/report_writer.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "app/report_details.h"
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
    writer->path_ = *options.report_path;
    // Created now, so a path that cannot be written stops the run before the job starts.
    writer->file_.Reset(
        ::open(writer->path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644));
    if (!writer->file_) return MakeError("cannot create the report " + writer->path_, errno);
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
  r.seccomp_policy = policy.seccomp() ? "default" : "none";
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

void ReportWriter::SetProfile(const std::string& name, const std::string& path,
                              const std::vector<std::string>& chain) {
  report_.profile_name = name;
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
  if (file_ && !WriteAll(file_.get(), document)) {
    (void)std::fprintf(stderr, "sandbox: cannot write the report %s: %s\n", path_.c_str(),
                       std::strerror(errno));
  }
  if (fd_ >= 0 && !WriteAll(fd_, document)) {
    (void)std::fprintf(stderr, "sandbox: cannot write the report to descriptor %d: %s\n", fd_,
                       std::strerror(errno));
  }
  file_.Reset();
}

}  // namespace sandbox::app

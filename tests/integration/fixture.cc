#include "fixture.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace sandbox::testing {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kNobody = 65534;
constexpr char kSetpriv[] = "/usr/bin/setpriv";
constexpr char kUnshare[] = "/usr/bin/unshare";

// Shared by every test in the process; rebuilt for each test suite.
struct World {
  std::string root;         // /tmp/sandbox-it.XXXXXX, 0755
  std::string bin_dir;      // root/bin: sandbox, probe, not-executable
  std::string setup_error;  // the fixture itself is broken: fail
  std::string skip_reason;  // the machine cannot run rootless sandboxes: skip
};

World& TheWorld() {
  static World world;
  return world;
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Copies `from` to `to` with mode 0755. Returns an error message, or "" on success.
std::string InstallExecutable(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return "copy " + from + " to " + to + ": " + ec.message();
  if (chmod(to.c_str(), 0755) != 0) return Errno("chmod " + to);
  return "";
}

std::string WriteHostFile(const std::string& path, const std::string& content, mode_t mode) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) return "cannot write " + path;
  }
  if (chmod(path.c_str(), mode) != 0) return Errno("chmod " + path);
  return "";
}

// The binary to test: the build's, unless `env_var` names another (an installed sandbox, or
// an older build to check that a test can fail).
std::string BinaryPath(const char* env_var, const char* built) {
  const char* chosen = getenv(env_var);
  return chosen != nullptr && *chosen != '\0' ? chosen : built;
}

// Prefix that makes a command run as the sandbox's run user.
std::vector<std::string> RunAsPrefix() {
  if (geteuid() != 0) return {};
  return {kSetpriv, "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
}

}  // namespace

bool SandboxTest::AsRoot() { return geteuid() == 0; }
uid_t SandboxTest::RunUid() { return AsRoot() ? kNobody : getuid(); }
gid_t SandboxTest::RunGid() { return AsRoot() ? kNobody : getgid(); }
const std::string& SandboxTest::BinDir() { return TheWorld().bin_dir; }

void SandboxTest::SetUpTestSuite() {
  World& world = TheWorld();
  world = World();
  char root[] = "/tmp/sandbox-it.XXXXXX";
  if (mkdtemp(root) == nullptr) {
    world.setup_error = Errno("mkdtemp /tmp/sandbox-it.XXXXXX");
    return;
  }
  world.root = root;
  world.bin_dir = world.root + "/bin";
  if (chmod(root, 0755) != 0 || mkdir(world.bin_dir.c_str(), 0755) != 0 ||
      chmod(world.bin_dir.c_str(), 0755) != 0) {
    world.setup_error = Errno("prepare " + world.root);
    return;
  }
  const std::string sandbox_binary = BinaryPath("SANDBOX_IT_SANDBOX", SANDBOX_BINARY);
  world.setup_error = InstallExecutable(sandbox_binary, world.bin_dir + "/sandbox");
  if (!world.setup_error.empty()) return;
  // The egress proxy lives beside the binary (launch/egress_link.cc); an older build may have
  // none, and then only the allow-list's tests fail.
  const std::string proxy =
      sandbox_binary.substr(0, sandbox_binary.rfind('/') + 1) + "sandbox-egress-proxy";
  if (access(proxy.c_str(), X_OK) == 0) {
    world.setup_error = InstallExecutable(proxy, world.bin_dir + "/sandbox-egress-proxy");
    if (!world.setup_error.empty()) return;
  }
  world.setup_error =
      InstallExecutable(BinaryPath("SANDBOX_IT_PROBE", SANDBOX_PROBE), world.bin_dir + "/probe");
  if (!world.setup_error.empty()) return;
  world.setup_error =
      WriteHostFile(world.bin_dir + "/not-executable", "plain text, mode 0644\n", 0644);
  if (!world.setup_error.empty()) return;
  if (AsRoot() && access(kSetpriv, X_OK) != 0) {
    world.setup_error = Errno(std::string("running as root needs ") + kSetpriv);
    return;
  }

  // Can this user build a sandbox at all? A working trivial run settles it. Otherwise find out
  // why: the switch to uid 65534 (a uid 0 without CAP_SETUID, e.g. inside a container), or
  // unprivileged user namespaces, asked of unshare(1) as the same user.
  RunResult trivial = RunProbe({}, {"exit", "0"});
  if (trivial.exit_code == 0) return;
  std::string who = "uid " + std::to_string(RunUid());
  if (AsRoot()) {
    std::vector<std::string> as_nobody = RunAsPrefix();
    as_nobody.push_back("/bin/true");
    RunResult switched = RunProcess(as_nobody, DefaultOptions());
    if (switched.exit_code != 0) {
      world.skip_reason = "running as root but cannot switch to " + who + " (" + kSetpriv + ": " +
                          switched.err + ")";
      return;
    }
  }
  std::vector<std::string> unshare = RunAsPrefix();
  unshare.insert(unshare.end(), {kUnshare, "-Ur", "/bin/true"});
  RunResult userns = RunProcess(unshare, DefaultOptions());
  if (userns.exit_code != 0) {
    world.skip_reason = "unprivileged user namespaces do not work for " + who +
                        " (unshare -Ur: " + userns.err + ")";
  } else if (trivial.exit_code == kExitSandboxFailure &&
             trivial.err.find("namespace") != std::string::npos) {
    world.skip_reason = "the sandbox cannot create its namespaces for " + who + ": " + trivial.err;
  }
}

void SandboxTest::TearDownTestSuite() {
  World& world = TheWorld();
  if (!world.root.empty()) {
    std::error_code ec;
    fs::remove_all(world.root, ec);
  }
  world = World();
}

void SandboxTest::SetUp() {
  const World& world = TheWorld();
  if (!world.setup_error.empty()) FAIL() << "fixture setup failed: " << world.setup_error;
  if (!world.skip_reason.empty()) GTEST_SKIP() << world.skip_reason;
  std::string pattern = world.root + "/scratch.XXXXXX";
  ASSERT_NE(mkdtemp(pattern.data()), nullptr) << Errno("mkdtemp " + pattern);
  scratch_ = pattern;
  ASSERT_EQ(chmod(scratch_.c_str(), 0755), 0) << Errno("chmod " + scratch_);
}

void SandboxTest::TearDown() {
  if (scratch_.empty()) return;
  std::error_code ec;
  fs::remove_all(scratch_, ec);
  EXPECT_FALSE(ec) << "cannot remove " << scratch_ << ": " << ec.message();
}

SpawnOptions SandboxTest::DefaultOptions() {
  SpawnOptions options;
  options.env = {"PATH=/usr/local/bin:/usr/bin:/bin", "TERM=xterm-sbxtest", "LANG=C.UTF-8"};
  return options;
}

std::vector<std::string> SandboxTest::SandboxArgv(const std::vector<std::string>& args) {
  std::vector<std::string> argv = RunAsPrefix();
  argv.push_back(BinDir() + "/sandbox");
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> SandboxTest::AsRunUser(const std::vector<std::string>& argv) {
  std::vector<std::string> out = RunAsPrefix();
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

std::vector<std::string> SandboxTest::HostProbeArgv(const std::vector<std::string>& args) {
  std::vector<std::string> argv = RunAsPrefix();
  argv.push_back(BinDir() + "/probe");
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::vector<std::string> SandboxTest::CommonFlags() {
  return {"--ro-bind", BinDir(), "/sbx", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"};
}

std::vector<std::string> SandboxTest::ProbeArgv(const std::vector<std::string>& flags,
                                                const std::vector<std::string>& probe_args) {
  std::vector<std::string> args = CommonFlags();
  args.insert(args.end(), flags.begin(), flags.end());
  args.insert(args.end(), {"--", "/sbx/probe"});
  args.insert(args.end(), probe_args.begin(), probe_args.end());
  return SandboxArgv(args);
}

RunResult SandboxTest::RunSandbox(const std::vector<std::string>& args,
                                  const SpawnOptions& options) {
  return RunProcess(SandboxArgv(args), options);
}

RunResult SandboxTest::RunProbe(const std::vector<std::string>& flags,
                                const std::vector<std::string>& probe_args,
                                const SpawnOptions& options) {
  return RunProcess(ProbeArgv(flags, probe_args), options);
}

std::string SandboxTest::MakeDir(const std::string& name, bool job_writable) {
  std::string path = scratch_ + "/" + name;
  if (mkdir(path.c_str(), 0755) != 0 || chmod(path.c_str(), 0755) != 0) {
    ADD_FAILURE() << Errno("mkdir " + path);
  } else if (job_writable && AsRoot() && chown(path.c_str(), RunUid(), RunGid()) != 0) {
    ADD_FAILURE() << Errno("chown " + path);
  }
  return path;
}

std::string SandboxTest::MakeFile(const std::string& name, const std::string& content) {
  std::string path = scratch_ + "/" + name;
  std::string error = WriteHostFile(path, content, 0644);
  if (!error.empty()) ADD_FAILURE() << error;
  return path;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::map<std::string, std::string> StatusFields(const std::string& text) {
  std::map<std::string, std::string> fields;
  for (const std::string& line : Lines(text)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t value = line.find_first_not_of(" \t", colon + 1);
    fields[line.substr(0, colon)] = value == std::string::npos ? "" : line.substr(value);
  }
  return fields;
}

std::string ReadHostFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::vector<pid_t> HostPidsWithComm(const std::string& comm) {
  std::vector<pid_t> pids;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return pids;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    std::string name = ReadHostFile(std::string("/proc/") + entry->d_name + "/comm");
    if (!name.empty() && name.back() == '\n') name.pop_back();
    if (name == comm) pids.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return pids;
}

std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = ReadHostFile(entry.path().string() + "/stat");
    size_t paren = stat.rfind(')');  // comm may itself contain spaces and parentheses
    if (paren == std::string::npos) continue;
    char state = 0;
    long ppid = 0;
    if (std::sscanf(stat.c_str() + paren + 1, " %c %ld", &state, &ppid) != 2) continue;
    if (ppid == parent) children.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return children;
}

std::string RandomName(size_t length) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  static std::mt19937 engine{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, sizeof(kChars) - 2);
  std::string name;
  for (size_t i = 0; i < length; ++i) name += kChars[pick(engine)];
  return name;
}

}  // namespace sandbox::testing

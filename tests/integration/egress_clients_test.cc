// Real package managers through the egress allow-list (docs/network.md), as uid 65534 under
// the shipped profiles: npm (over HTTP, and over HTTPS with a test CA) and pip install from a
// registry generated and served on the host's loopback at test time (local_registry.py) with
// the registry's name allowed, and fail at once, reported, without it. And a name the list
// does not allow never reaches the host's resolver, which counting_resolver.py replaces.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "host_server.h"
#include "profile_fixture.h"

#ifndef SANDBOX_LOCAL_REGISTRY
#error "SANDBOX_LOCAL_REGISTRY must name tests/integration/local_registry.py"
#endif
#ifndef SANDBOX_COUNTING_RESOLVER
#error "SANDBOX_COUNTING_RESOLVER must name tests/integration/counting_resolver.py"
#endif

namespace sandbox::testing {
namespace {

constexpr char kPython[] = "/usr/bin/python3";
constexpr char kPackage[] = "tiny-greet";
constexpr char kVersion[] = "1.0.0";
// What the package's code says (local_registry.py).
constexpr char kGreeting[] = "hello from tiny-greet 1.0.0";
// The registry's name inside the sandbox; the proxy reaches it at 127.0.0.1 (--resolve).
constexpr char kRegistryName[] = "registry.test";
// The Python index's files are on another name (as PyPI's on files.pythonhosted.org), served
// by the same server.
constexpr char kFilesName[] = "files.test";
// Where the test CA is bound inside the sandbox.
constexpr char kCaInside[] = "/etc/registry-ca.pem";

// A directory served over HTTP, or HTTPS with the certificate in `tls_dir`, by
// local_registry.py: the test binds the listening socket on 127.0.0.1 and hands it over as
// descriptor 3, so the port is known before the server starts and nothing else can take it.
// Each request is a line "METHOD PATH STATUS" in `log`. The server dies with this object.
class LocalRegistry {
 public:
  LocalRegistry(const std::string& dir, std::string log, const std::string& tls_dir = "")
      : log_(std::move(log)) {
    uint16_t port = 0;
    int fd = ListenOnLoopback(&port);
    if (fd < 0) return;
    port_ = port;
    std::vector<std::string> argv = {kPython, SANDBOX_LOCAL_REGISTRY, "serve", dir, log_};
    if (!tls_dir.empty()) {
      argv.insert(argv.end(),
                  {"--cert", tls_dir + "/server.pem", "--key", tls_dir + "/server.key"});
    }
    SpawnOptions options;
    options.env = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8"};
    options.inherit_fds = {{3, fd}};
    options.timeout = std::chrono::minutes(5);
    server_ = std::make_unique<Process>(argv, options);
    ::close(fd);  // the server has its own copy
  }

  std::string port() const { return std::to_string(port_); }
  /// The requests served so far, one line each.
  std::string Requests() const { return ReadHostFile(log_); }
  // Whether the log has `request` (say "GET /tiny-greet") answered with 200.
  bool Served(const std::string& request) const {
    return Requests().find(request + " 200\n") != std::string::npos;
  }

 private:
  std::string log_;
  int port_ = 0;
  std::unique_ptr<Process> server_;
};

class EgressClientsTest : public ProfileFixture {
 protected:
  void SetUp() override {
    ProfileFixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!HostHas(kPython)) GTEST_SKIP() << kPython << " is not installed (apt-get install python3)";
    // A home of the run user's own for every test: the profiles' caches live beneath it
    // ($XDG_CACHE_HOME/sandbox/caches), so no test installs from another's cache.
    home_ = MakeDir("home", /*job_writable=*/true);
    project_ = MakeDir("project", /*job_writable=*/true);
    out_ = MakeDir("out", /*job_writable=*/true);
    registry_ = MakeDir("registry");
  }

  // local_registry.py ARGS... on the host (generating a registry, a CA).
  static void Generate(std::vector<std::string> args) {
    args.insert(args.begin(), {kPython, SANDBOX_LOCAL_REGISTRY});
    RunResult r = RunProcess(args, DefaultOptions());
    ASSERT_EQ(r.exit_code, 0) << r;
  }

  // PROJECT/name with `content`, owned by the run user (the job rewrites it).
  void MakeProjectFile(const std::string& name, const std::string& content) {
    std::string path = MakeFile("project/" + name, content);
    if (AsRoot()) {
      ASSERT_EQ(::chown(path.c_str(), RunUid(), RunGid()), 0) << path;
    }
  }

  // sandbox --profile PROFILE --report R FLAGS... -- COMMAND, in the project, with HOME the
  // test's own.
  RunResult Run(const std::string& profile, const std::vector<std::string>& flags,
                const std::vector<std::string>& command) {
    std::vector<std::string> args = {"--profile", Profiles() + "/" + profile + ".toml", "--report",
                                     Report()};
    args.insert(args.end(), flags.begin(), flags.end());
    args.emplace_back("--");
    args.insert(args.end(), command.begin(), command.end());
    SpawnOptions options = DefaultOptions();
    options.cwd = project_;
    options.env.push_back("HOME=" + home_);
    options.timeout = std::chrono::seconds(50);
    return RunSandbox(args, options);
  }

  // The node profile's install step (docs/network.md): npm leaves offline mode for it. The
  // proxy reaches registry.test at 127.0.0.1.
  RunResult NpmInstall(std::vector<std::string> flags, const std::string& registry_url) {
    flags.insert(flags.end(), {"--resolve", std::string(kRegistryName) + ":127.0.0.1", "--setenv",
                               "npm_config_offline", "false"});
    return Run("node", flags, {"npm", "install", "--registry", registry_url, kPackage});
  }

  // The python profile's install step: a venv in the project, pip from `index_url` (plain
  // HTTP needs pip's --trusted-host for each name; only localhost is trusted without).
  RunResult PipInstall(std::vector<std::string> flags, const std::string& index_url) {
    flags.insert(flags.end(), {"--resolve", std::string(kRegistryName) + ":127.0.0.1", "--resolve",
                               std::string(kFilesName) + ":127.0.0.1"});
    return Run("python", flags,
               {"/bin/sh", "-c",
                std::string(kPython) +
                    " -m venv .venv && .venv/bin/pip install --index-url \"$0\" "
                    "--trusted-host registry.test --trusted-host files.test " +
                    kPackage,
                index_url});
  }

  // What a pip install put in the project's venv.
  std::string InstalledPipFile() const {
    return ReadHostFile(project_ + "/.venv/lib/python3." + PythonMinor() +
                        "/site-packages/tiny_greet.py");
  }
  static std::string PythonMinor() {
    RunResult r = RunProcess({kPython, "-c", "import sys; print(sys.version_info[1], end='')"},
                             DefaultOptions());
    return r.out;
  }

  std::string Report() const { return out_ + "/report.json"; }
  // check_report.py on the run's report: valid against the schema, and each PATH=JSON holds.
  RunResult CheckReport(const std::vector<std::string>& expect) {
    std::vector<std::string> argv = {kPython, SANDBOX_CHECK_REPORT, SANDBOX_REPORT_SCHEMA,
                                     Report()};
    for (const std::string& e : expect) argv.insert(argv.end(), {"--expect", e});
    return RunProcess(argv, DefaultOptions());
  }

  std::string InstalledNpmFile() const {
    return ReadHostFile(project_ + "/node_modules/" + kPackage + "/index.js");
  }

  std::string home_;
  std::string project_;
  std::string out_;
  std::string registry_;
};

// registry.test:PORT: what --allow-host names and the URLs use.
std::string HostPort(const LocalRegistry& server) {
  return std::string(kRegistryName) + ":" + server.port();
}
std::string FilesHostPort(const LocalRegistry& server) {
  return std::string(kFilesName) + ":" + server.port();
}

#define REQUIRE_TOOL(path, package)                                                  \
  if (!HostHas(path)) {                                                              \
    GTEST_SKIP() << path << " is not installed (apt-get install " << package << ")"; \
  }

// pip in a venv made inside: Debian's python3-venv (ensurepip and the pip wheel it installs).
#define REQUIRE_VENV()                                                                          \
  if (RunProcess({kPython, "-c", "import ensurepip, venv"}, DefaultOptions()).exit_code != 0) { \
    GTEST_SKIP() << kPython << " cannot make a venv with pip (apt-get install python3-venv)";   \
  }

constexpr char kFreshPackageJson[] = "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\"\n}\n";
// The package's index.js (local_registry.py).
constexpr char kNpmIndexJs[] = "module.exports = () => \"hello from tiny-greet 1.0.0\";\n";

// `npm install NAME` from a registry on loopback, its name allowed: npm fetches the package
// document and the tarball through the proxy (npm honours HTTP_PROXY), checks the tarball's
// integrity and installs it; the report lists the registry as an allowed destination.
TEST_F(EgressClientsTest, NpmInstallsFromAnAllowedRegistryOverHttp) {
  REQUIRE_TOOL("/usr/bin/npm", "npm");
  LocalRegistry server(registry_, scratch() + "/requests.log");
  std::string url = "http://" + HostPort(server) + "/";
  Generate({"npm", registry_, kPackage, kVersion, url});
  MakeProjectFile("package.json", kFreshPackageJson);

  RunResult r = NpmInstall({"--allow-host", HostPort(server)}, url);
  ASSERT_EQ(r.exit_code, 0) << r << server.Requests();
  EXPECT_EQ(InstalledNpmFile(), kNpmIndexJs) << r;
  EXPECT_NE(ReadHostFile(project_ + "/package.json").find("\"tiny-greet\": \"^1.0.0\""),
            std::string::npos);
  EXPECT_TRUE(server.Served("GET /tiny-greet")) << server.Requests();
  EXPECT_TRUE(server.Served("GET /tarballs/tiny-greet-1.0.0.tgz")) << server.Requests();
  EXPECT_EQ(r.err.find("sandbox: network denied"), std::string::npos) << r;
  RunResult check =
      CheckReport({R"(network.mode="allow-list")", R"(network.destinations.0.host="registry.test")",
                   "network.destinations.0.port=" + server.port(),
                   "network.destinations.0.allowed=true", "network.destinations.0.refused=0"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(Report());

  // The test step, offline (no allow-list): the package is there.
  RunResult test = Run("node", {}, {"node", "-e", "console.log(require('tiny-greet')())"});
  EXPECT_EQ(test.exit_code, 0) << test;
  EXPECT_EQ(test.out, std::string(kGreeting) + "\n") << test;
}

// The same install with only the public registry allowed (the node profile's list): the
// proxy refuses the request (403) before anything leaves, npm stops with its error, the
// registry sees nothing, and the run names the refused destination.
TEST_F(EgressClientsTest, NpmFailsAndIsReportedWithoutTheAllowHost) {
  REQUIRE_TOOL("/usr/bin/npm", "npm");
  LocalRegistry server(registry_, scratch() + "/requests.log");
  std::string url = "http://" + HostPort(server) + "/";
  Generate({"npm", registry_, kPackage, kVersion, url});
  MakeProjectFile("package.json", kFreshPackageJson);

  RunResult r = NpmInstall({"--allow-host", "registry.npmjs.org"}, url);
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_NE(r.err.find("E403"), std::string::npos) << r;  // npm 9: "npm ERR! code E403"
  EXPECT_NE(r.err.find("sandbox: network denied " + HostPort(server) + " x"), std::string::npos)
      << r;
  EXPECT_EQ(server.Requests(), "");
  EXPECT_EQ(InstalledNpmFile(), "");
  RunResult check =
      CheckReport({R"(network.destinations.0.host="registry.test")",
                   "network.destinations.0.port=" + server.port(),
                   "network.destinations.0.allowed=false", "network.destinations.0.connections=0"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(Report());
}

// Over HTTPS with a CA made for the test: npm tunnels through the proxy (CONNECT) and
// verifies the registry's certificate end to end. Without the CA it refuses the certificate
// (so the TLS is real and checked); with the CA bound read-only and named by npm's `cafile`
// it installs. (npm's own agent ignores NODE_EXTRA_CA_CERTS; node programs honour it.) npm
// retries a failed fetch twice, 10 s and 60 s later: not here, where failing is expected.
TEST_F(EgressClientsTest, NpmInstallsOverHttpsTrustingATestCa) {
  REQUIRE_TOOL("/usr/bin/npm", "npm");
  REQUIRE_TOOL("/usr/bin/openssl", "openssl");
  std::string tls = scratch() + "/tls";
  Generate({"ca", tls, kRegistryName});
  LocalRegistry server(registry_, scratch() + "/requests.log", tls);
  std::string url = "https://" + HostPort(server) + "/";
  Generate({"npm", registry_, kPackage, kVersion, url});
  MakeProjectFile("package.json", kFreshPackageJson);
  std::vector<std::string> flags = {"--allow-host", HostPort(server)};
  flags.insert(flags.end(), {"--ro-bind", tls + "/ca.pem", kCaInside, "--setenv",
                             "npm_config_fetch_retries", "0"});

  RunResult untrusted = NpmInstall(flags, url);
  EXPECT_NE(untrusted.exit_code, 0) << untrusted;
  EXPECT_NE(untrusted.err.find("UNABLE_TO_VERIFY_LEAF_SIGNATURE"), std::string::npos) << untrusted;
  EXPECT_EQ(server.Requests(), "");

  flags.insert(flags.end(), {"--setenv", "npm_config_cafile", kCaInside});
  RunResult r = NpmInstall(flags, url);
  ASSERT_EQ(r.exit_code, 0) << r << server.Requests();
  EXPECT_EQ(InstalledNpmFile(), kNpmIndexJs) << r;
  EXPECT_TRUE(server.Served("GET /tiny-greet")) << server.Requests();
  EXPECT_TRUE(server.Served("GET /tarballs/tiny-greet-1.0.0.tgz")) << server.Requests();
  RunResult check =
      CheckReport({R"(network.destinations.0.host="registry.test")",
                   "network.destinations.0.allowed=true", "network.destinations.0.refused=0"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(Report());
}

// `pip install --index-url` from a PEP 503 index on loopback, both its names allowed (as
// the python profile's list has pypi.org and files.pythonhosted.org): pip reads the project
// page on one, downloads the wheel from the other (its sha256 checked) and installs it in
// a venv in the project, made inside (the documented install step, docs/network.md).
TEST_F(EgressClientsTest, PipInstallsFromAnAllowedSimpleIndex) {
  REQUIRE_VENV();
  LocalRegistry server(registry_, scratch() + "/requests.log");
  Generate({"pypi", registry_, kPackage, kVersion, "http://" + FilesHostPort(server)});
  std::string index = "http://" + HostPort(server) + "/simple/";

  RunResult r =
      PipInstall({"--allow-host", HostPort(server), "--allow-host", FilesHostPort(server)}, index);
  ASSERT_EQ(r.exit_code, 0) << r << server.Requests();
  EXPECT_NE(r.out.find("Successfully installed tiny-greet-1.0.0"), std::string::npos) << r;
  EXPECT_NE(InstalledPipFile().find(kGreeting), std::string::npos) << r;
  EXPECT_TRUE(server.Served("GET /simple/tiny-greet/")) << server.Requests();
  EXPECT_TRUE(server.Served("GET /packages/tiny_greet-1.0.0-py3-none-any.whl"))
      << server.Requests();
  RunResult check = CheckReport(
      {R"(network.destinations.0.host="registry.test")", "network.destinations.0.allowed=true",
       "network.destinations.0.refused=0", R"(network.destinations.1.host="files.test")",
       "network.destinations.1.allowed=true", "network.destinations.1.refused=0"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(Report());

  // The test step, offline (no allow-list): the package is there.
  RunResult test = Run("python", {}, {".venv/bin/python", "-m", "tiny_greet"});
  EXPECT_EQ(test.exit_code, 0) << test;
  EXPECT_EQ(test.out, std::string(kGreeting) + "\n") << test;
}

// pip over HTTPS from an index whose certificate a CA made for the test signed, the CA bound
// read-only and named by PIP_CERT (docs/network.md, "A private registry with its own CA").
TEST_F(EgressClientsTest, PipInstallsOverHttpsTrustingATestCa) {
  REQUIRE_VENV();
  REQUIRE_TOOL("/usr/bin/openssl", "openssl");
  std::string tls = scratch() + "/tls";
  Generate({"ca", tls, kRegistryName, kFilesName});
  LocalRegistry server(registry_, scratch() + "/requests.log", tls);
  Generate({"pypi", registry_, kPackage, kVersion, "https://" + FilesHostPort(server)});
  std::string index = "https://" + HostPort(server) + "/simple/";

  RunResult r =
      PipInstall({"--allow-host", HostPort(server), "--allow-host", FilesHostPort(server),
                  "--ro-bind", tls + "/ca.pem", kCaInside, "--setenv", "PIP_CERT", kCaInside},
                 index);
  ASSERT_EQ(r.exit_code, 0) << r << server.Requests();
  EXPECT_NE(InstalledPipFile().find(kGreeting), std::string::npos) << r;
  EXPECT_TRUE(server.Served("GET /packages/tiny_greet-1.0.0-py3-none-any.whl"))
      << server.Requests();
}

// The same with only PyPI allowed (the python profile's list): refused by the proxy, pip
// finds no distribution, the index sees nothing, and the run names the destination.
TEST_F(EgressClientsTest, PipFailsAndIsReportedWithoutTheAllowHost) {
  REQUIRE_VENV();
  LocalRegistry server(registry_, scratch() + "/requests.log");
  Generate({"pypi", registry_, kPackage, kVersion, "http://" + FilesHostPort(server)});
  std::string index = "http://" + HostPort(server) + "/simple/";

  RunResult r =
      PipInstall({"--allow-host", "pypi.org", "--allow-host", "files.pythonhosted.org"}, index);
  EXPECT_NE(r.exit_code, 0) << r;
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_NE(r.err.find("No matching distribution found for tiny-greet"), std::string::npos) << r;
  EXPECT_NE(r.err.find("sandbox: network denied " + HostPort(server) + " x"), std::string::npos)
      << r;
  EXPECT_EQ(server.Requests(), "");
  EXPECT_EQ(InstalledPipFile(), "");
  RunResult check =
      CheckReport({R"(network.destinations.0.host="registry.test")",
                   "network.destinations.0.allowed=false", "network.destinations.0.connections=0"});
  EXPECT_EQ(check.exit_code, 0) << check << ReadHostFile(Report());
}

// The host's resolver is replaced by one that counts (counting_resolver.py, in network and
// mount namespaces of the test's own, as root, before setpriv drops to the run user). Inside
// the sandbox a name not on the list fails at once however it is asked (getent, a program
// ignoring the proxy variables, one using them), and not one query for it reaches the host's
// resolver; a name on the list but not pinned with --resolve is looked up there by the proxy
// (so that resolver is the one the proxy uses, and its silence about the other name counts).
TEST_F(EgressClientsTest, DeniedNamesNeverReachTheHostsResolver) {
  if (!AsRoot()) {
    GTEST_SKIP() << "needs root: the host's resolver is replaced inside unshare --net --mount";
  }
  REQUIRE_TOOL("/usr/bin/unshare", "util-linux");
  REQUIRE_TOOL("/usr/bin/curl", "curl");
  std::string queries = out_ + "/queries.log";
  std::vector<std::string> argv = {"/usr/bin/unshare",
                                   "--net",
                                   "--mount",
                                   "--",
                                   kPython,
                                   SANDBOX_COUNTING_RESOLVER,
                                   "--log",
                                   queries,
                                   "--answer",
                                   "allowed.test=127.0.0.1",
                                   "--http-body",
                                   "reached after a host-side lookup\n",
                                   "--"};
  std::vector<std::string> sandbox =
      SandboxArgv({"--profile", Profiles() + "/base.toml", "--report", Report(), "--allow-host",
                   "allowed.test", "--", "/bin/sh", "-c",
                   "getent hosts denied.test; echo \"getent $?\"; "
                   "curl --noproxy '*' -sS http://denied.test/; echo \"direct $?\"; "
                   "curl -fsS http://denied.test/; echo \"proxied $?\"; "
                   "curl --noproxy '*' -sS http://allowed.test/"});
  argv.insert(argv.end(), sandbox.begin(), sandbox.end());
  RunResult r = RunProcess(argv, DefaultOptions());

  EXPECT_EQ(r.exit_code, 0) << r;
  // getent: 2 = not found; curl: 6 = could not resolve, 22 = the proxy's 403.
  EXPECT_EQ(r.out, "getent 2\ndirect 6\nproxied 22\nreached after a host-side lookup\n") << r;
  EXPECT_NE(r.err.find("sandbox: network denied denied.test (name lookup) x"), std::string::npos)
      << r;
  std::string asked = ReadHostFile(queries);
  EXPECT_EQ(asked.find("denied.test"), std::string::npos) << asked;
  EXPECT_NE(asked.find("allowed.test A\n"), std::string::npos) << asked << r;
  for (const std::string& line : Lines(asked)) {
    EXPECT_TRUE(line.starts_with("allowed.test ")) << asked;
  }
}

}  // namespace
}  // namespace sandbox::testing

// The fixture of tests that run the shipped profiles: a world-readable copy of profiles/ and
// a run with a project directory as the current directory.
#ifndef SANDBOX_TESTS_INTEGRATION_PROFILE_FIXTURE_H_
#define SANDBOX_TESTS_INTEGRATION_PROFILE_FIXTURE_H_

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "fixture.h"

namespace sandbox::testing {

#ifndef SANDBOX_SOURCE_PROFILES
#error "SANDBOX_SOURCE_PROFILES must name the source tree's profiles/"
#endif

class ProfileFixture : public SandboxTest {
 protected:
  // A world-readable copy of the shipped profiles (the source tree may not be readable by the
  // unprivileged run user), made once per suite: each suite has a BinDir of its own.
  static std::string Profiles() {
    std::string d = BinDir() + "/profiles";
    if (::access((d + "/ci.toml").c_str(), R_OK) == 0) return d;
    ::mkdir(d.c_str(), 0755);
    for (const char* name : {"base", "cc", "python", "node", "rust", "go", "ci", "fleet"}) {
      std::ifstream in(std::string(SANDBOX_SOURCE_PROFILES) + "/" + name + ".toml");
      std::ofstream(d + "/" + name + ".toml") << in.rdbuf();
      ::chmod((d + "/" + name + ".toml").c_str(), 0644);
    }
    return d;
  }

  // Runs `sandbox --profile PROFILE ARGS... -- COMMAND` with the project dir as cwd.
  RunResult RunInProject(const std::string& project, const std::string& profile,
                         const std::vector<std::string>& command,
                         std::vector<std::string> extra_flags = {}) {
    std::vector<std::string> args = {"--profile", Profiles() + "/" + profile + ".toml"};
    for (auto& f : extra_flags) args.push_back(f);
    args.push_back("--");
    for (const auto& c : command) args.push_back(c);
    SpawnOptions options = DefaultOptions();
    options.cwd = project;
    return RunSandbox(args, options);
  }

  static bool HostHas(const char* path) { return ::access(path, X_OK) == 0; }
};

}  // namespace sandbox::testing

#endif  // SANDBOX_TESTS_INTEGRATION_PROFILE_FIXTURE_H_

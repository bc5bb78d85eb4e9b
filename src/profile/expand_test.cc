#include "profile/expand.h"

#include <gtest/gtest.h>

namespace sandbox::profile {
namespace {

HostContext TestHost() {
  HostContext host;
  host.cwd = "/work/proj";
  host.home = "/home/alice";
  host.user = "alice";
  host.uid = 1000;
  host.gid = 100;
  host.env = {{"TOKEN", "abc"}, {"EMPTY", ""}};
  return host;
}

std::string Expand(std::string_view text) {
  auto r = ExpandVariables(text, TestHost(), "/etc/sandbox/profiles");
  return r ? *r : "error: " + r.error().message + "; " + r.error().hint;
}

TEST(ProfileExpandTest, EveryVariable) {
  EXPECT_EQ(Expand("${PWD}"), "/work/proj");
  EXPECT_EQ(Expand("${HOME}/.cache"), "/home/alice/.cache");
  EXPECT_EQ(Expand("${USER}"), "alice");
  EXPECT_EQ(Expand("${UID}:${GID}"), "1000:100");
  EXPECT_EQ(Expand("${PROFILE_DIR}/x"), "/etc/sandbox/profiles/x");
  EXPECT_EQ(Expand("t=${env:TOKEN}"), "t=abc");
  EXPECT_EQ(Expand("[${env:EMPTY}]"), "[]");  // set but empty is a value
}

TEST(ProfileExpandTest, PlainTextAndEscapes) {
  EXPECT_EQ(Expand(""), "");
  EXPECT_EQ(Expand("/usr/bin"), "/usr/bin");
  EXPECT_EQ(Expand("$$"), "$");
  EXPECT_EQ(Expand("cost: $$5"), "cost: $5");
  EXPECT_EQ(Expand("$${HOME}"), "${HOME}");  // escaped, not expanded
  EXPECT_EQ(Expand("$$$${USER}"), "$${USER}");
  EXPECT_EQ(Expand("a}b{c"), "a}b{c");
  EXPECT_EQ(Expand("${HOME}${HOME}"), "/home/alice/home/alice");
}

TEST(ProfileExpandTest, Mistakes) {
  EXPECT_EQ(Expand("${HOEM}"), "error: unknown variable ${HOEM}; did you mean ${HOME}?");
  EXPECT_EQ(Expand("${pwd}"),
            "error: unknown variable ${pwd}; known variables: ${PWD}, ${HOME}, "
            "${USER}, ${UID}, ${GID}, ${PROFILE_DIR}, ${env:NAME}");
  EXPECT_EQ(Expand("${}"),
            "error: unknown variable ${}; known variables: ${PWD}, ${HOME}, "
            "${USER}, ${UID}, ${GID}, ${PROFILE_DIR}, ${env:NAME}");
  EXPECT_EQ(Expand("${env:NOPE}"),
            "error: environment variable NOPE is not set; ${env:NOPE} is read from the "
            "environment sandbox runs in");
  EXPECT_EQ(Expand("${env:}"), "error: empty variable name in ${env:}; write ${env:NAME}");
  EXPECT_EQ(Expand("$"),
            "error: \"$\" not followed by \"{\" in \"$\"; write ${NAME} for a "
            "variable, $$ for a dollar sign");
  EXPECT_EQ(Expand("a${HOME"), "error: unclosed \"${\" in \"a${HOME\"; end the name with \"}\"");
}

TEST(ProfileExpandTest, EmptyHostValuesAreErrors) {
  HostContext host;
  auto r = ExpandVariables("${HOME}/.cache", host, "/p");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "${HOME} has no value on this host");
  EXPECT_EQ(r.error().hint, "set HOME in the environment");
  r = ExpandVariables("${PWD}", host, "/p");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().hint, "run sandbox from a directory that still exists");
  EXPECT_EQ(*ExpandVariables("${UID}", host, "/p"), "0");  // ids always have a value
}

}  // namespace
}  // namespace sandbox::profile

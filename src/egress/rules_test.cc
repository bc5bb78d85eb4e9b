#include "egress/rules.h"

#include <gtest/gtest.h>

#include "egress/hosts_file.h"

namespace sandbox::egress {
namespace {

TEST(EgressRulesTest, HostWithoutPortMeansHttpsAndHttp) {
  auto rule = ParseHostRule("Registry.NPMJS.org.");
  ASSERT_TRUE(rule) << rule.error().ToString();
  EXPECT_EQ(rule->host, "registry.npmjs.org");
  EXPECT_FALSE(rule->subdomains);
  EXPECT_FALSE(rule->literal_ip);
  EXPECT_EQ(rule->ports, (std::vector<uint16_t>{443, 80}));
  EXPECT_TRUE(Matches(*rule, "registry.npmjs.org", 443));
  EXPECT_TRUE(Matches(*rule, "registry.npmjs.org", 80));
  EXPECT_FALSE(Matches(*rule, "registry.npmjs.org", 8080));
  EXPECT_FALSE(Matches(*rule, "evil.registry.npmjs.org", 443));
  EXPECT_EQ(RuleText(*rule), "registry.npmjs.org:443,80");
}

TEST(EgressRulesTest, WildcardMatchesSubdomainsOnly) {
  auto rule = ParseHostRule("*.example.org:8443");
  ASSERT_TRUE(rule) << rule.error().ToString();
  EXPECT_TRUE(rule->subdomains);
  EXPECT_TRUE(Matches(*rule, "a.example.org", 8443));
  EXPECT_TRUE(Matches(*rule, "a.b.example.org", 8443));
  EXPECT_FALSE(Matches(*rule, "example.org", 8443));
  EXPECT_FALSE(Matches(*rule, "badexample.org", 8443));
  EXPECT_FALSE(Matches(*rule, "a.example.org", 443));
  EXPECT_EQ(RuleText(*rule), "*.example.org:8443");
}

TEST(EgressRulesTest, LiteralAddresses) {
  auto v4 = ParseHostRule("10.0.0.1:80");
  ASSERT_TRUE(v4) << v4.error().ToString();
  EXPECT_TRUE(v4->literal_ip);
  EXPECT_EQ(v4->host, "10.0.0.1");
  EXPECT_EQ(v4->ports, std::vector<uint16_t>{80});
  auto v6 = ParseHostRule("[2001:DB8:0::1]:443");
  ASSERT_TRUE(v6) << v6.error().ToString();
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_EQ(RuleText(*v6), "[2001:db8::1]:443");
  auto bare = ParseHostRule("2001:db8::2");
  ASSERT_TRUE(bare) << bare.error().ToString();
  EXPECT_EQ(bare->ports, (std::vector<uint16_t>{443, 80}));
  // A name lookup is never answered for an address rule.
  EXPECT_FALSE(NameAllowed({*v4}, "10.0.0.1"));
  EXPECT_TRUE(Allowed({*v4}, "10.0.0.1", 80));
}

TEST(EgressRulesTest, BadRulesSayWhy) {
  EXPECT_EQ(ParseHostRule("exa mple.org").error().ToString(),
            "\"exa mple.org\" is not a host name or IP address; write HOST[:PORT]: a DNS name "
            "(example.org), *.example.org for its subdomains, an IPv4 address or a bracketed "
            "IPv6 one ([2001:db8::1]:443)");
  EXPECT_EQ(ParseHostRule("example.org:0").error().message,
            "\"example.org:0\": port \"0\" is not a number from 1 to 65535");
  EXPECT_EQ(ParseHostRule("example.org:70000").error().message,
            "\"example.org:70000\": port \"70000\" is not a number from 1 to 65535");
  EXPECT_FALSE(ParseHostRule("example.org:"));
  EXPECT_FALSE(ParseHostRule(""));
  EXPECT_FALSE(ParseHostRule("*."));
  EXPECT_FALSE(ParseHostRule("a..b"));
  EXPECT_FALSE(ParseHostRule("[::1"));
  EXPECT_FALSE(ParseHostRule("[example.org]:443"));
  EXPECT_FALSE(ParseHostRule(std::string(64, 'a') + ".org"));
}

TEST(EgressRulesTest, Pins) {
  auto pin = ParsePin("Registry.test:127.0.0.1");
  ASSERT_TRUE(pin) << pin.error().ToString();
  EXPECT_EQ(pin->host, "registry.test");
  EXPECT_EQ(pin->address, "127.0.0.1");
  EXPECT_EQ(ParsePin("registry.test:[::1]")->address, "::1");
  EXPECT_EQ(ParsePin("registry.test:::1")->address, "::1");
  EXPECT_EQ(ParsePin("registry.test").error().ToString(),
            "\"registry.test\" is not HOST:ADDRESS; e.g. --resolve registry.test:127.0.0.1 (or "
            "registry.test:[::1])");
  EXPECT_FALSE(ParsePin("registry.test:example.org"));
  EXPECT_FALSE(ParsePin(":127.0.0.1"));
}

// Exact names only, each once and in order: their numbers must agree between the job's
// /etc/hosts, the proxy and the supervisor.
TEST(EgressRulesTest, NumberedNamesAreTheExactAllowedNamesInOrder) {
  std::vector<HostRule> rules;
  for (const char* text : {"b.test:80", "*.wild.test", "10.0.0.1", "a.test", "b.test:443",
                           "db.localhost", "localhost:8080"}) {
    auto rule = ParseHostRule(text);
    ASSERT_TRUE(rule) << text;
    rules.push_back(*rule);
  }
  EXPECT_EQ(NumberedNames(rules), (std::vector<std::string>{"b.test", "a.test"}));
  EXPECT_TRUE(IsLocalhost("localhost"));
  EXPECT_TRUE(IsLocalhost("db.localhost"));
  EXPECT_FALSE(IsLocalhost("notlocalhost"));
  EXPECT_FALSE(IsLocalhost("localhost.example"));
}

// Name i at 198.18.0.(2+i), IPv4 only; a name the file maps already keeps its own line (and
// its number stays reserved: the next name still gets its own).
TEST(EgressRulesTest, TheHostsFileNamesEachNumberedNameOnce) {
  std::string base = "127.0.0.1\tlocalhost\n10.1.2.3 MINE.Test  # a profile's own\n::1 localhost";
  std::string hosts = HostsWithNumberedNames(base, {"a.test", "mine.test", "c.test"});
  EXPECT_EQ(hosts, base +
                       "\n# sandbox: the allow-list's names, served through the sandbox's proxy\n"
                       "198.18.0.2\ta.test\n198.18.0.4\tc.test\n");
  EXPECT_EQ(HostsWithNumberedNames("", {}), "");
  EXPECT_EQ(HostsWithNumberedNames("10.0.0.1 a.test\n", {"a.test"}), "10.0.0.1 a.test\n");
}

}  // namespace
}  // namespace sandbox::egress

#include "egress/hosts_file.h"

#include <arpa/inet.h>

#include <set>

#include "egress/control.h"
#include "egress/dns_answer.h"
#include "egress/rules.h"

namespace sandbox::egress {
namespace {

// Every name hosts(5) maps: the fields after the address on each line, comments dropped.
std::set<std::string> NamesIn(std::string_view hosts) {
  std::set<std::string> names;
  while (!hosts.empty()) {
    size_t end = hosts.find('\n');
    std::string_view line = hosts.substr(0, end);
    hosts.remove_prefix(end == std::string_view::npos ? hosts.size() : end + 1);
    line = line.substr(0, line.find('#'));
    bool address = true;
    while (!line.empty()) {
      size_t start = line.find_first_not_of(" \t\r");
      if (start == std::string_view::npos) break;
      line.remove_prefix(start);
      size_t stop = line.find_first_of(" \t\r");
      std::string_view field = line.substr(0, stop);
      line.remove_prefix(stop == std::string_view::npos ? line.size() : stop);
      if (!address) names.insert(CanonicalName(field));
      address = false;
    }
  }
  return names;
}

}  // namespace

std::string HostsWithNumberedNames(std::string_view hosts,
                                   const std::vector<std::string>& numbered) {
  std::string out(hosts);
  std::set<std::string> named = NamesIn(hosts);
  bool header = false;
  for (size_t i = 0; i < numbered.size(); ++i) {
    if (named.count(numbered[i]) != 0) continue;
    if (!header) {
      if (!out.empty() && out.back() != '\n') out += '\n';
      out += "# sandbox: the allow-list's names, served through the sandbox's proxy\n";
      header = true;
    }
    uint8_t v4[4];
    SyntheticV4(kFirstSyntheticIndex + static_cast<uint32_t>(i), v4);
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, v4, text, sizeof(text));
    out += std::string(text) + "\t" + numbered[i] + "\n";
  }
  return out;
}

}  // namespace sandbox::egress

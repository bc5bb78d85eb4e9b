// The job's /etc/hosts under an allow-list: each exact allowed name at its synthetic IPv4
// address (rules.h NumberedNames), so that glibc's "files" source answers it and the lookup
// costs no DNS round trip through the socket fence and the proxy (docs/network.md). Pure.
#ifndef SANDBOX_EGRESS_HOSTS_FILE_H_
#define SANDBOX_EGRESS_HOSTS_FILE_H_

#include <string>
#include <string_view>
#include <vector>

namespace sandbox::egress {

/// `hosts` (the /etc/hosts the job would read otherwise) with a line per name of `numbered`
/// (name i at synthetic number kFirstSyntheticIndex + i) that `hosts` does not name already:
/// a name the profile maps itself keeps its own address. One IPv4 line per name and no IPv6
/// one: with a single answer getaddrinfo has nothing to sort, so it makes no probing connects.
std::string HostsWithNumberedNames(std::string_view hosts,
                                   const std::vector<std::string>& numbered);

}  // namespace sandbox::egress

#endif  // SANDBOX_EGRESS_HOSTS_FILE_H_

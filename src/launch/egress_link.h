// The supervisor's side of the egress allow-list (docs/network.md): starts the proxy process
// (sandbox-egress-proxy, beside the sandbox's binary) before the job, hands it the sockets the
// sandbox's pid 1 made, routes the job's inet connects for the socket fence (allowed ones to
// the proxy's listener, registered first; others refused and recorded), and collects the
// proxy's counts when the run ends.
#ifndef SANDBOX_LAUNCH_EGRESS_LINK_H_
#define SANDBOX_LAUNCH_EGRESS_LINK_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/unique_fd.h"
#include "policy/policy.h"
#include "report/outcome.h"
#include "seccomp/egress_router.h"

namespace sandbox::launch {

class EgressLink : public seccomp::EgressRouter {
 public:
  /// Finds the proxy (the run refuses when it cannot be found); it is started by Spawn, when
  /// the job first needs it.
  static Result<std::unique_ptr<EgressLink>> Start(const policy::EgressPlan& plan);
  ~EgressLink() override;

  /// A socket pid 1 sent (kEgressSocket; `role` an egress::SocketRole): held until the proxy
  /// is started, then passed on.
  void AddSocket(int role, UniqueFd socket);
  /// The sockets held for a proxy not started yet, for the supervisor's poll: when one is
  /// readable (a lookup or a connection waits), Spawn.
  std::vector<int> waiting_sockets() const;
  /// Starts the proxy (once) and hands it the held sockets. False if it could not be started
  /// (said on stderr; the job's lookups and connections then fail).
  bool Spawn();
  /// The control socket (-1 before Spawn), for the supervisor's poll; ReadControl when
  /// readable.
  int control_fd() const { return control_.get(); }
  void ReadControl();
  /// Ends the proxy and returns every destination, the fence's refusals and the proxy's counts
  /// merged, in order of first use. A proxy that never served anything (the claim byte is still
  /// in its pipe) is killed without being asked: it has nothing to count.
  std::vector<report::NetworkDestination> Finish();

  int RouteConnect(int proc_dir, pid_t pid, int socket, int type,
                   std::vector<char>* address) override;
  int CheckSend(int proc_dir, pid_t pid, int type, const std::vector<char>& address,
                int flags) override;

 private:
  EgressLink(const policy::EgressPlan& plan, std::string path);
  // posix_spawn with the control socket and the claim pipe; "" or what failed.
  std::string SpawnProxy();
  // Records a refusal by the fence.
  void Refuse(int proc_dir, pid_t pid, const std::string& host, uint16_t port, const char* why);
  report::NetworkDestination& Destination(const std::string& host, uint16_t port);

  const policy::EgressPlan& plan_;
  std::string path_;                               // the proxy's program
  bool spawned_ = false;                           // Spawn was called
  std::vector<std::pair<int, UniqueFd>> waiting_;  // (role, socket) until Spawn
  UniqueFd control_;
  // The read end of the claim pipe (the proxy has it too): one byte, taken by whichever side
  // reads first: the proxy before it serves anything, the supervisor in Finish.
  UniqueFd claim_;
  pid_t proxy_ = -1;
  std::map<uint32_t, std::string> names_;  // synthetic number -> name (the proxy's kName)
  std::vector<report::NetworkDestination> destinations_;
  bool done_ = false;  // the proxy sent kDone
};

}  // namespace sandbox::launch

#endif  // SANDBOX_LAUNCH_EGRESS_LINK_H_

// A host-side HTTP server on 127.0.0.1 for the egress tests: the destination an allow-list
// lets the job reach (through --resolve NAME:127.0.0.1).
#ifndef SANDBOX_TESTS_INTEGRATION_HOST_SERVER_H_
#define SANDBOX_TESTS_INTEGRATION_HOST_SERVER_H_

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

namespace sandbox::testing {

// A socket listening on 127.0.0.1 at an ephemeral port, its port in *port; -1 (and a test
// failure) if that fails.
inline int ListenOnLoopback(uint16_t* port, int backlog = 64) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::listen(fd, backlog) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    ADD_FAILURE() << "listen on loopback: " << std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

// A host-side HTTP server on 127.0.0.1: answers every request with `body`, counts connections.
class HostServer {
 public:
  explicit HostServer(std::string body) : body_(std::move(body)) {
    uint16_t port = 0;
    fd_ = ListenOnLoopback(&port);
    if (fd_ < 0) return;
    port_ = port;
    thread_ = std::thread([this] { Serve(); });
  }
  ~HostServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }
  int connections() const { return connections_; }
  /// The whole reply the server sends for `body`: what the proxy counts as bytes received.
  static std::string ReplyTo(const std::string& body) {
    return "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd ready = {fd_, POLLIN, 0};
      if (::poll(&ready, 1, 50) <= 0) continue;
      int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      ++connections_;
      char request[4096];
      timeval timeout = {5, 0};
      ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
      (void)::recv(client, request, sizeof(request), 0);
      std::string reply = ReplyTo(body_);
      (void)::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(client);
    }
  }

  std::string body_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sandbox::testing

#endif  // SANDBOX_TESTS_INTEGRATION_HOST_SERVER_H_

// The benchmark's servers (httpd.c, relay.c) listen the same way: on 127.0.0.1 at an
// ephemeral port, written to a file once listening so the bench can wait for it.
#ifndef SANDBOX_BENCH_LOOPBACK_LISTENER_H_
#define SANDBOX_BENCH_LOOPBACK_LISTENER_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

// A socket of `type` (SOCK_STREAM and flags) listening on 127.0.0.1 with `backlog`, its port
// written to `port_path`; -1 after a message naming `who` if any step fails.
static int ListenOnLoopback(const char* who, int type, int backlog, const char* port_path) {
  int listener = socket(AF_INET, type, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t size = sizeof address;
  if (listener < 0 || bind(listener, (struct sockaddr*)&address, size) != 0 ||
      listen(listener, backlog) != 0 ||
      getsockname(listener, (struct sockaddr*)&address, &size) != 0) {
    fprintf(stderr, "%s: listen: ", who);
    perror(NULL);
    return -1;
  }
  FILE* port_file = fopen(port_path, "w");
  if (port_file == NULL) {
    perror(port_path);
    return -1;
  }
  fprintf(port_file, "%d\n", ntohs(address.sin_port));
  fclose(port_file);
  return listener;
}

#endif  // SANDBOX_BENCH_LOOPBACK_LISTENER_H_

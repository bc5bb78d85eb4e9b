// relay: the simplest TCP relay, for scale in the egress benchmark (scripts/bench --only
// egress). It listens on 127.0.0.1 (an ephemeral port, written to PORTFILE once listening) and
// joins each connection to 127.0.0.1:UPSTREAM: one process per connection, one blocking
// thread per direction, each reading into a 4 MiB buffer of its own (the sandbox's proxy
// shares one of that size) and writing it all out; Reno on the hop to the client, as the
// proxy has. No sandbox, no event loop, no checks: what any user-space relay costs on this
// machine, beside the proxy in the same run. Runs until killed.
//
// usage: relay PORTFILE UPSTREAM_PORT
#define _GNU_SOURCE
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback_listener.h"

enum { kBuffer = 4 << 20 };

struct Direction {
  int from, to;
};

// Copies until the end of `from`, then passes the end on (or gives up if `to` is gone).
static void* Pump(void* arg) {
  struct Direction* d = arg;
  char* buffer = malloc(kBuffer);
  ssize_t n;
  while (buffer != NULL && (n = read(d->from, buffer, kBuffer)) > 0) {
    for (ssize_t sent = 0; sent < n;) {
      ssize_t w = send(d->to, buffer + sent, (size_t)(n - sent), MSG_NOSIGNAL);
      if (w <= 0) goto out;
      sent += w;
    }
  }
out:
  shutdown(d->to, SHUT_WR);
  free(buffer);
  return NULL;
}

static void Serve(int client, int upstream_port) {
  int upstream = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in to = {.sin_family = AF_INET,
                           .sin_port = htons((uint16_t)upstream_port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (upstream < 0 || connect(upstream, (struct sockaddr*)&to, sizeof to) != 0) _exit(1);
  struct Direction up = {client, upstream}, down = {upstream, client};
  pthread_t thread;
  if (pthread_create(&thread, NULL, Pump, &up) != 0) _exit(1);
  Pump(&down);
  pthread_join(thread, NULL);
  _exit(0);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: relay PORTFILE UPSTREAM_PORT\n");
    return 2;
  }
  signal(SIGCHLD, SIG_IGN);  // children reap themselves
  int listener = ListenOnLoopback("relay", SOCK_STREAM | SOCK_CLOEXEC, 128, argv[1]);
  if (listener < 0) return 1;
  // As the sandbox's proxy does (src/child/egress.cc): the hop to the client is loopback, and
  // Reno does not pace as the host's default may. Accepted sockets inherit it.
  (void)setsockopt(listener, IPPROTO_TCP, TCP_CONGESTION, "reno", 4);
  for (;;) {
    int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
    if (client < 0) continue;
    pid_t pid = fork();
    if (pid == 0) {
      close(listener);
      Serve(client, atoi(argv[2]));
    }
    close(client);
  }
}

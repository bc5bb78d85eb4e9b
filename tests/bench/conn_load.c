// conn_load: N connections to an HTTP server held open at the same time, then one request on
// each, every response read to its end; counts the ones served in full (status 200 and exactly
// Content-Length bytes of body). For the egress benchmark's concurrent-connections arm: bare,
// and inside a sandbox through the egress proxy, transparently (a connect to the name) or as
// an explicit proxy request (`--proxy`, what programs honouring HTTP_PROXY send).
//
// usage: conn_load [-n N] [--proxy ADDR:PORT] HOST PORT PATH
// Prints "ok=K failed=F connect_ms=C total_ms=T" and exits 0 only if every connection was
// served. Gives up after 120 s.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { kDeadlineMs = 120000 };

struct Conn {
  int fd;
  int state;  // 0 connecting, 1 sending, 2 reading, 3 done ok, 4 failed
  size_t sent;
  char head[1024];
  size_t head_len;
  long long body_expected;  // -1 until the head is read
  long long body_read;
};

static long long NowMs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void Fail(struct Conn* c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->state = 4;
}

// Takes `n` bytes of the response: the head first (status and Content-Length), then the body.
static void Take(struct Conn* c, const char* data, size_t n) {
  if (c->body_expected < 0) {
    size_t room = sizeof c->head - 1 - c->head_len;
    size_t take = n < room ? n : room;
    memcpy(c->head + c->head_len, data, take);
    c->head_len += take;
    c->head[c->head_len] = 0;
    char* end = strstr(c->head, "\r\n\r\n");
    if (end == NULL) {
      if (c->head_len + 1 >= sizeof c->head) Fail(c);
      return;
    }
    size_t head_size = (size_t)(end + 4 - c->head);
    const char* length = strcasestr(c->head, "\r\nContent-Length:");
    if (strncmp(c->head, "HTTP/1.1 200 ", 13) != 0 || length == NULL) {
      Fail(c);
      return;
    }
    c->body_expected = atoll(length + 17);
    c->body_read = (long long)(c->head_len - head_size) + (long long)(n - take);
    return;
  }
  c->body_read += (long long)n;
}

int main(int argc, char** argv) {
  int count = 500;
  const char* proxy = NULL;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) count = atoi(argv[++i]);
    else if (strcmp(argv[i], "--proxy") == 0 && i + 1 < argc) proxy = argv[++i];
    else break;
  }
  if (argc - i != 3 || count <= 0) {
    fprintf(stderr, "usage: conn_load [-n N] [--proxy ADDR:PORT] HOST PORT PATH\n");
    return 2;
  }
  const char* host = argv[i];
  const char* port = argv[i + 1];
  const char* path = argv[i + 2];
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  // Where to connect: the proxy (numeric), or the server by name (the sandbox's resolver).
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  struct addrinfo* target = NULL;
  char proxy_host[64] = "", *proxy_port = NULL;
  if (proxy != NULL) {
    snprintf(proxy_host, sizeof proxy_host, "%s", proxy);
    proxy_port = strrchr(proxy_host, ':');
    if (proxy_port == NULL) return 2;
    *proxy_port++ = 0;
    hints.ai_flags = AI_NUMERICHOST;
  }
  int rc = proxy != NULL ? getaddrinfo(proxy_host, proxy_port, &hints, &target)
                         : getaddrinfo(host, port, &hints, &target);
  if (rc != 0) {
    fprintf(stderr, "conn_load: %s: %s\n", proxy != NULL ? proxy : host, gai_strerror(rc));
    return 1;
  }
  char request[1024];
  int request_len =
      proxy != NULL
          ? snprintf(request, sizeof request, "GET http://%s:%s%s HTTP/1.1\r\nHost: %s:%s\r\n\r\n",
                     host, port, path, host, port)
          : snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", path,
                     host, port);

  struct Conn* conns = calloc((size_t)count, sizeof *conns);
  struct pollfd* polls = calloc((size_t)count, sizeof *polls);
  long long start = NowMs();
  for (int k = 0; k < count; k++) {
    conns[k].body_expected = -1;
    conns[k].fd = socket(target->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (conns[k].fd < 0 ||
        (connect(conns[k].fd, target->ai_addr, target->ai_addrlen) != 0 && errno != EINPROGRESS)) {
      Fail(&conns[k]);
    }
  }
  freeaddrinfo(target);

  // Every connection is established before any request goes out: all N are open at once.
  long long connected_at = 0;
  int phase_connecting = 1;
  for (;;) {
    int waiting = 0;
    for (int k = 0; k < count; k++) {
      struct Conn* c = &conns[k];
      polls[k].fd = -1;
      polls[k].events = 0;
      if (c->state >= 3) continue;
      if (phase_connecting && c->state != 0) continue;
      polls[k].fd = c->fd;
      polls[k].events = c->state <= 1 ? POLLOUT : POLLIN;
      waiting++;
    }
    if (waiting == 0) {
      if (!phase_connecting) break;
      phase_connecting = 0;
      connected_at = NowMs();
      for (int k = 0; k < count; k++) {
        if (conns[k].state == 5) conns[k].state = 1;
      }
      continue;
    }
    long long left = kDeadlineMs - (NowMs() - start);
    if (left <= 0) break;
    if (poll(polls, (nfds_t)count, (int)left) < 0 && errno != EINTR) break;
    for (int k = 0; k < count; k++) {
      struct Conn* c = &conns[k];
      if (polls[k].fd < 0 || polls[k].revents == 0) continue;
      if (c->state == 0) {
        int err = 0;
        socklen_t size = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &size);
        if (err != 0) {
          Fail(c);
        } else {
          c->state = 1;
          if (phase_connecting) c->state = 5;  // connected, waiting for the others
        }
      } else if (c->state == 1) {
        ssize_t n = send(c->fd, request + c->sent, (size_t)request_len - c->sent, MSG_NOSIGNAL);
        if (n < 0) {
          if (errno != EAGAIN) Fail(c);
          continue;
        }
        c->sent += (size_t)n;
        if (c->sent == (size_t)request_len) c->state = 2;
      } else if (c->state == 2) {
        char buffer[65536];
        ssize_t n = recv(c->fd, buffer, sizeof buffer, 0);
        if (n < 0) {
          if (errno != EAGAIN) Fail(c);
          continue;
        }
        if (n == 0) {
          int whole = c->body_expected >= 0 && c->body_read == c->body_expected;
          close(c->fd);
          c->fd = -1;
          c->state = whole ? 3 : 4;
          continue;
        }
        Take(c, buffer, (size_t)n);
      }
    }
    // State 5 (connected while others still connect) is left out of the polls above; once
    // every connection is settled they all move to sending together.
    if (phase_connecting) {
      int still = 0;
      for (int k = 0; k < count; k++) still += conns[k].state == 0;
      if (still == 0) {
        phase_connecting = 0;
        connected_at = NowMs();
        for (int k = 0; k < count; k++) {
          if (conns[k].state == 5) conns[k].state = 1;
        }
      }
    }
  }
  int ok = 0, failed = 0;
  for (int k = 0; k < count; k++) {
    if (conns[k].state == 3) ok++;
    else failed++;
  }
  printf("ok=%d failed=%d connect_ms=%lld total_ms=%lld\n", ok, failed,
         connected_at > 0 ? connected_at - start : -1, NowMs() - start);
  return failed == 0 ? 0 : 1;
}

// httpd: a tiny HTTP/1.1 server for the egress benchmark (scripts/bench --only egress). It
// listens on 127.0.0.1 (an ephemeral port, written to PORTFILE once listening) and answers
// `GET /N` (any target whose last path component is a number) with N bytes, then closes the
// connection. One thread, epoll, non-blocking sockets; bodies go out with sendfile(2) from a
// 4 MiB memfd, so the server costs little CPU and the client (or the proxy between) is what
// the benchmark measures. Runs until killed.
//
// usage: httpd PORTFILE
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback_listener.h"

enum { kBodyFile = 4 << 20, kMaxHead = 4096, kMaxFd = 65536 };

struct Client {
  int open;
  char head[kMaxHead];
  size_t head_len;
  char reply[256];  // the status line and headers still to send
  size_t reply_len, reply_sent;
  unsigned long long body_left;
  off_t offset;  // in the memfd
};

static struct Client* clients;
static int body_fd;
static int epoll_fd;

static void Drop(int fd) {
  clients[fd].open = 0;
  close(fd);  // also leaves the epoll set
}

// Parses the head once complete: 1 when the reply is ready, 0 for more, -1 for a bad request.
static int Parse(struct Client* c) {
  c->head[c->head_len] = 0;
  if (strstr(c->head, "\r\n\r\n") == NULL && strstr(c->head, "\n\n") == NULL) {
    return c->head_len + 1 >= kMaxHead ? -1 : 0;
  }
  char* space = strchr(c->head, ' ');
  if (space == NULL) return -1;
  char* target = space + 1;
  char* end = strchr(target, ' ');
  if (end == NULL) return -1;
  *end = 0;
  char* last = strrchr(target, '/');
  const char* digits = last != NULL ? last + 1 : target;
  char* rest;
  unsigned long long n = strtoull(digits, &rest, 10);
  if (rest == digits || (*rest != 0 && *rest != '?')) return -1;
  c->body_left = n;
  c->reply_len = (size_t)snprintf(c->reply, sizeof c->reply,
                                  "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n"
                                  "Content-Type: application/octet-stream\r\n"
                                  "Connection: close\r\n\r\n",
                                  n);
  c->reply_sent = 0;
  c->offset = 0;
  return 1;
}

// Sends what it can; 1 when everything is sent, 0 when the socket is full, -1 on an error.
static int Send(int fd, struct Client* c) {
  while (c->reply_sent < c->reply_len) {
    ssize_t n = send(fd, c->reply + c->reply_sent, c->reply_len - c->reply_sent,
                     MSG_NOSIGNAL | (c->body_left > 0 ? MSG_MORE : 0));
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    c->reply_sent += (size_t)n;
  }
  while (c->body_left > 0) {
    if (c->offset >= kBodyFile) c->offset = 0;
    size_t chunk = kBodyFile - (size_t)c->offset;
    if (chunk > c->body_left) chunk = (size_t)c->body_left;
    ssize_t n = sendfile(fd, body_fd, &c->offset, chunk);
    if (n < 0) return errno == EAGAIN ? 0 : -1;
    if (n == 0) return -1;
    c->body_left -= (unsigned long long)n;
  }
  return 1;
}

static void OnClient(int fd, unsigned events) {
  struct Client* c = &clients[fd];
  if (c->reply_len == 0) {
    ssize_t n = recv(fd, c->head + c->head_len, kMaxHead - 1 - c->head_len, 0);
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      Drop(fd);
      return;
    }
    c->head_len += (size_t)n;
    int parsed = Parse(c);
    if (parsed < 0) {
      static const char kBad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
      (void)send(fd, kBad, sizeof kBad - 1, MSG_NOSIGNAL);
      Drop(fd);
      return;
    }
    if (parsed == 0) return;
  } else if ((events & EPOLLOUT) == 0) {
    return;
  }
  int sent = Send(fd, c);
  if (sent != 0) {
    if (sent > 0) shutdown(fd, SHUT_WR);
    Drop(fd);
    return;
  }
  struct epoll_event e = {.events = EPOLLOUT, .data.fd = fd};
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, fd, &e);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: httpd PORTFILE\n");
    return 2;
  }
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  clients = calloc(kMaxFd, sizeof *clients);
  body_fd = memfd_create("body", MFD_CLOEXEC);
  if (clients == NULL || body_fd < 0 || ftruncate(body_fd, kBodyFile) != 0) {
    perror("httpd: set-up");
    return 1;
  }
  char* fill = mmap(NULL, kBodyFile, PROT_READ | PROT_WRITE, MAP_SHARED, body_fd, 0);
  if (fill == MAP_FAILED) {
    perror("httpd: mmap");
    return 1;
  }
  for (size_t i = 0; i < kBodyFile; i++) fill[i] = (char)('a' + i % 26);
  munmap(fill, kBodyFile);

  int listener =
      ListenOnLoopback("httpd", SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 4096, argv[1]);
  if (listener < 0) return 1;
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event e = {.events = EPOLLIN, .data.fd = listener};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listener, &e);

  struct epoll_event ready[256];
  for (;;) {
    int n = epoll_wait(epoll_fd, ready, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = ready[i].data.fd;
      if (fd != listener) {
        OnClient(fd, ready[i].events);
        continue;
      }
      for (;;) {
        int client = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (client < 0) break;
        if (client >= kMaxFd) {
          close(client);
          continue;
        }
        memset(&clients[client], 0, sizeof clients[client]);
        clients[client].open = 1;
        struct epoll_event ce = {.events = EPOLLIN, .data.fd = client};
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, client, &ce);
      }
    }
  }
}

#!/usr/bin/env python3
"""Replaces the host's resolver with one that counts, then runs a command.

usage: unshare --net --mount -- counting_resolver.py --log FILE [--answer NAME=IPV4]...
           [--http-body TEXT] -- COMMAND [ARG]...

For egress_clients_test.cc: the sandbox's proxy looks names up on the host side with c-ares,
which reads the host's /etc/resolv.conf. Run as root in fresh network and mount namespaces
(it refuses to run in the host's own), this script
  - brings lo up;
  - answers DNS on 127.0.0.1:53, UDP and TCP: an A record for each --answer name, NOERROR
    without data for its other types, NXDOMAIN for every other name; and appends one line
    per query, "NAME TYPE" (A, AAAA or the number), to the --log file;
  - serves HTTP on 127.0.0.1:80, answering every request with --http-body;
  - bind-mounts a resolv.conf that says `nameserver 127.0.0.1` over /etc/resolv.conf (in its
    own mount namespace only);
then runs COMMAND (which drops privileges itself, e.g. with setpriv) with the same stdout and
stderr, and exits with its status.
"""
import argparse
import fcntl
import http.server
import os
import socket
import socketserver
import struct
import subprocess
import sys
import threading

SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
TYPE_NAMES = {1: "A", 28: "AAAA"}


def fail(message):
    sys.exit("counting_resolver: " + message)


def same_namespace(kind):
    """Whether this process shares `kind` with its parent, the caller of unshare(1) (which
    executes this script in the namespaces it made)."""
    mine = os.stat("/proc/self/ns/" + kind)
    parents = os.stat("/proc/%d/ns/%s" % (os.getppid(), kind))
    return (mine.st_dev, mine.st_ino) == (parents.st_dev, parents.st_ino)


def bring_lo_up():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


class Resolver:
    def __init__(self, log_path, answers):
        self.log_path = log_path
        self.answers = answers
        self.lock = threading.Lock()
        open(log_path, "a").close()

    def record(self, name, qtype):
        with self.lock, open(self.log_path, "a") as log:
            log.write("%s %s\n" % (name, TYPE_NAMES.get(qtype, str(qtype))))

    def answer(self, query):
        """The reply to one DNS message (RFC 1035 section 4), or None to drop it."""
        if len(query) < 12:
            return None
        ident, flags, qdcount = struct.unpack("!HHH", query[:6])
        if flags & 0x8000 or qdcount != 1:
            return None
        labels, at = [], 12
        while at < len(query) and query[at] != 0:
            length = query[at]
            if length > 63 or at + 1 + length > len(query):
                return None
            labels.append(query[at + 1:at + 1 + length].decode("ascii", "replace"))
            at += 1 + length
        if at + 5 > len(query):
            return None
        qtype = struct.unpack("!H", query[at + 1:at + 3])[0]
        question = query[12:at + 5]
        name = ".".join(labels).lower()
        self.record(name, qtype)
        address = self.answers.get(name)
        records = b""
        if address is not None and qtype == 1:
            records = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(address)
        rcode = 0 if address is not None else 3  # NXDOMAIN
        header = struct.pack("!HHHHHH", ident, 0x8180 | (flags & 0x0100) | rcode, 1,
                             1 if records else 0, 0, 0)
        return header + question + records

    def serve_udp(self, sock):
        while True:
            query, peer = sock.recvfrom(4096)
            reply = self.answer(query)
            if reply is not None:
                sock.sendto(reply, peer)

    def serve_tcp(self, listener):
        while True:
            client, _ = listener.accept()
            threading.Thread(target=self.serve_stream, args=(client,), daemon=True).start()

    def serve_stream(self, client):
        with client:
            data = b""
            while True:
                chunk = client.recv(4096)
                if not chunk:
                    return
                data += chunk
                while len(data) >= 2 and len(data) >= 2 + struct.unpack("!H", data[:2])[0]:
                    length = struct.unpack("!H", data[:2])[0]
                    reply = self.answer(data[2:2 + length])
                    data = data[2 + length:]
                    if reply is not None:
                        client.sendall(struct.pack("!H", len(reply)) + reply)


def http_server(body):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True

    return Server(("127.0.0.1", 80), Handler)


def main():
    parser = argparse.ArgumentParser(usage=__doc__)
    parser.add_argument("--log", required=True)
    parser.add_argument("--answer", action="append", default=[])
    parser.add_argument("--http-body", default="served\n")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        fail("no command")
    if os.geteuid() != 0:
        fail("must run as root (inside unshare --net --mount)")
    if same_namespace("net") or same_namespace("mnt"):
        fail("run me inside unshare --net --mount: I replace /etc/resolv.conf and bind port 53")
    answers = {}
    for item in args.answer:
        name, _, address = item.partition("=")
        answers[name.lower().rstrip(".")] = address

    bring_lo_up()
    resolver = Resolver(args.log, answers)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 53))
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", 53))
    tcp.listen(16)
    web = http_server(args.http_body.encode())
    for target, arg in ((resolver.serve_udp, udp), (resolver.serve_tcp, tcp),
                        (web.serve_forever, None)):
        threading.Thread(target=target, args=(arg,) if arg else (), daemon=True).start()

    resolv_conf = os.path.join(os.path.dirname(os.path.abspath(args.log)), "resolv.conf")
    with open(resolv_conf, "w") as f:
        f.write("nameserver 127.0.0.1\n")
    os.chmod(resolv_conf, 0o644)
    if not os.path.exists("/etc/resolv.conf"):
        fail("/etc/resolv.conf does not exist: nothing to bind over")
    subprocess.run(["mount", "--bind", resolv_conf, "/etc/resolv.conf"], check=True)

    sys.stdout.flush()
    sys.exit(subprocess.run(command).returncode)


if __name__ == "__main__":
    main()

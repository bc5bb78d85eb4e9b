#!/usr/bin/env python3
"""Package registries generated and served locally, for egress_clients_test.cc.

CI reaches no network but loopback, so the tests make their own registry at test time:

  local_registry.py npm DIR NAME VERSION BASE_URL
      an npm registry layout: DIR/NAME (the package document: versions, dist.tarball at
      BASE_URL/tarballs/NAME-VERSION.tgz, dist.shasum and dist.integrity of that tarball) and
      the tarball itself (package/package.json and package/index.js).
  local_registry.py pypi DIR NAME VERSION FILES_URL
      a PEP 503 "simple" index: DIR/simple/index.html, DIR/simple/NAME/index.html linking
      FILES_URL/packages/DIST-VERSION-py3-none-any.whl#sha256=... (another host name, as PyPI
      links files.pythonhosted.org), and that wheel in DIR/packages: a pure-Python wheel
      built here as a zip (METADATA, WHEEL, RECORD), no build backend, no PyPI.
  local_registry.py ca DIR HOST...
      a test CA (DIR/ca.pem) and a certificate for the HOSTs signed by it (DIR/server.pem,
      DIR/server.key), made with openssl(1).
  local_registry.py serve DIR LOG [--cert PEM --key KEY]
      serves DIR over HTTP (HTTPS with --cert/--key) on the listening socket inherited as
      descriptor 3, until killed; one line per request in LOG: "METHOD PATH STATUS".

Everything the package does when used: NAME's index.js exports, and the module prints,
"hello from NAME VERSION".
"""
import base64
import functools
import hashlib
import http.server
import io
import json
import os
import socket
import ssl
import subprocess
import sys
import tarfile
import zipfile

LISTEN_FD = 3
FIXED_MTIME = 1700000000  # reproducible archives


def greeting(name, version):
    return "hello from %s %s" % (name, version)


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def npm_tarball(name, version):
    package = {"name": name, "version": version, "main": "index.js", "license": "MIT",
               "description": "served by the sandbox's egress tests"}
    files = {
        "package/package.json": json.dumps(package, indent=2).encode() + b"\n",
        "package/index.js": ("module.exports = () => %s;\n"
                             % json.dumps(greeting(name, version))).encode(),
    }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = FIXED_MTIME
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def make_npm(directory, name, version, base_url):
    tarball = npm_tarball(name, version)
    tarball_path = "tarballs/%s-%s.tgz" % (name, version)
    write(os.path.join(directory, tarball_path), tarball)
    document = {
        "name": name,
        "dist-tags": {"latest": version},
        "versions": {
            version: {
                "name": name,
                "version": version,
                "main": "index.js",
                "license": "MIT",
                "dist": {
                    "tarball": base_url.rstrip("/") + "/" + tarball_path,
                    "shasum": hashlib.sha1(tarball).hexdigest(),
                    "integrity": "sha512-" + base64.b64encode(
                        hashlib.sha512(tarball).digest()).decode(),
                },
            }
        },
    }
    write(os.path.join(directory, name), json.dumps(document, indent=2).encode() + b"\n")


def record_hash(data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "sha256=" + digest


def wheel(name, version):
    """A py3-none-any wheel (PEP 427) of one module, and its file name."""
    dist = name.replace("-", "_")
    info = "%s-%s.dist-info" % (dist, version)
    files = {
        dist + ".py": "def greet():\n    return %r\n\n\nif __name__ == \"__main__\":\n"
                      "    print(greet())\n" % greeting(name, version),
        info + "/METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
                            "Summary: served by the sandbox's egress tests\n" % (name, version),
        info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: sandbox-tests\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n",
    }
    record = "".join("%s,%s,%d\n" % (path, record_hash(data.encode()), len(data.encode()))
                     for path, data in files.items())
    files[info + "/RECORD"] = record + info + "/RECORD,,\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files.items():
            entry = zipfile.ZipInfo(path, date_time=(2023, 11, 14, 22, 13, 20))
            entry.external_attr = 0o644 << 16
            z.writestr(entry, data)
    return "%s-%s-py3-none-any.whl" % (dist, version), out.getvalue()


def make_pypi(directory, name, version, files_url):
    file_name, data = wheel(name, version)
    write(os.path.join(directory, "packages", file_name), data)
    link = '<a href="%s/packages/%s#sha256=%s">%s</a>' % (
        files_url.rstrip("/"), file_name, hashlib.sha256(data).hexdigest(), file_name)
    page = "<!DOCTYPE html>\n<html><body>\n%s\n</body></html>\n"
    write(os.path.join(directory, "simple", "index.html"),
          (page % ('<a href="%s/">%s</a>' % (name, name))).encode())
    write(os.path.join(directory, "simple", name, "index.html"), (page % link).encode())


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def make_ca(directory, hosts):
    os.makedirs(directory, mode=0o755, exist_ok=True)
    path = functools.partial(os.path.join, directory)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2",
            "-subj", "/CN=sandbox egress test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-new", *ec, "-keyout", path("server.key"), "-out", path("server.csr"),
            "-subj", "/CN=" + hosts[0])
    with open(path("server.ext"), "w") as f:
        f.write("subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                % ",".join("DNS:" + host for host in hosts))
    openssl("x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey",
            path("ca.key"), "-CAcreateserial", "-out", path("server.pem"), "-days", "2",
            "-extfile", path("server.ext"))
    for name in ("ca.pem", "server.pem"):
        os.chmod(path(name), 0o644)


class Handler(http.server.SimpleHTTPRequestHandler):
    # Keep-alive, as real registries: a client may send its next request on the connection.
    protocol_version = "HTTP/1.1"
    log_path = None

    def log_request(self, code="-", size="-"):
        with open(self.log_path, "a") as log:
            log.write("%s %s %s\n" % (self.command, self.path, getattr(code, "value", code)))

    def log_message(self, format, *args):  # errors only: requests go through log_request
        sys.stderr.write("local_registry: %s\n" % (format % args))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    tls = None

    def finish_request(self, request, client_address):
        # The handshake runs in the connection's own thread: a client that never sends a
        # ClientHello holds only that thread.
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                sys.stderr.write("local_registry: TLS handshake: %s\n" % e)
                return
        super().finish_request(request, client_address)


def serve(directory, log_path, cert, key):
    listening = socket.socket(fileno=LISTEN_FD)
    Handler.log_path = log_path
    handler = functools.partial(Handler, directory=directory)
    server = Server(listening.getsockname(), handler, bind_and_activate=False)
    server.socket.close()
    server.socket = listening
    if cert:
        server.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.tls.load_cert_chain(cert, key)
    open(log_path, "a").close()
    server.serve_forever()


def main(argv):
    if len(argv) == 6 and argv[1] == "npm":
        make_npm(argv[2], argv[3], argv[4], argv[5])
    elif len(argv) == 6 and argv[1] == "pypi":
        make_pypi(argv[2], argv[3], argv[4], argv[5])
    elif len(argv) >= 4 and argv[1] == "ca":
        make_ca(argv[2], argv[3:])
    elif len(argv) in (4, 8) and argv[1] == "serve":
        tls = dict(zip(argv[4::2], argv[5::2]))
        if set(tls) - {"--cert", "--key"} or len(tls) not in (0, 2):
            sys.exit(__doc__)
        serve(argv[2], argv[3], tls.get("--cert"), tls.get("--key"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

#!/usr/bin/python3
"""Test web servers for tests/unit/test_http_live.c (Debian python3, stdlib only).

    httpd.py DIR

Makes a test PKI in DIR with the openssl CLI (unless DIR/pki.done exists),
starts one HTTP(S) server per role on 127.0.0.1 (ephemeral ports), writes
"ROLE PORT" lines to DIR/ports (atomically, once all listen) and serves until
killed.  Roles:

  plain    HTTP
  other    HTTP on another port (cross-origin redirect target)
  tls      HTTPS, certificate for DNS:localhost and IP:127.0.0.1
  wrong    HTTPS, certificate for wrong.example, other.example, 192.0.2.7
  expired  HTTPS, certificate for localhost/127.0.0.1 that expired 2021-01-01
  mtls     HTTPS that requires a client certificate from the test CA

Paths (all roles):
  /hello              "hello\\n" with Content-Length
  /big?n=N            N bytes (i % 251) with Content-Length
  /bigchunked?n=N     the same, chunked in 1000-byte chunks with extensions
  /chunked            "hello world" chunked, with extensions and a trailer
  /count              "CONNS REQS": connections this server accepted, requests
                      on this connection
  /redirect?code=C&to=URL   status C with Location URL
  /loop               302 to itself, forever
  /auth               "auth=VALUE" or "auth=none" (the Authorization received)
  /headers            the request line and headers, echoed
  /slow-head          sleeps 3 s before answering
  /slow-body          Content-Length 10, sends 3 bytes, sleeps 3 s, sends 7
  /short              Content-Length 10, sends 5 bytes and closes
  /retry              503 with Retry-After: 7
  /close              no Content-Length: the body ends when the connection does
  /drop               a keep-alive answer, then the server closes the
                      connection anyway (an idle timeout, as seen by a pool)
  /arm-drop           answers; the NEXT request on this connection is read and
                      the connection closed without an answer (a keep-alive
                      race the client must survive by retrying once)
  /client-cert        "cn=CN" of the client certificate (mtls)
  /trickle-head       the response head one byte every 100 ms (3 s in all)
  /trickle-body?n=N&every=MS   Content-Length N, one byte every MS ms
  /close-notify       like /close, but over TLS the server says close_notify
                      first (/close over TLS just ends: a possible truncation)
"""
import http.server
import os
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse


def run(*args, cwd):
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def keypair_csr(d, name, cn):
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", name + ".key",
        "-out", name + ".csr", "-subj", "/CN=" + cn, cwd=d)


def sign(d, name, ca, ext):
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write(ext + "\n")
    run("openssl", "x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt",
        "-CAkey", ca + ".key", "-CAcreateserial", "-out", name + ".crt",
        "-days", "825", "-sha256", "-extfile", name + ".ext", cwd=d)


def make_ca(d, name, cn):
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", name + ".key",
        "-out", name + ".crt", "-days", "3650", "-subj", "/CN=" + cn,
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


def make_expired(d):
    """openssl x509 cannot back-date; openssl ca can (-startdate/-enddate)."""
    os.makedirs(os.path.join(d, "newcerts"), exist_ok=True)
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write("""[ca]
default_ca = test_ca
[test_ca]
dir = .
database = index.txt
new_certs_dir = newcerts
serial = serial
default_md = sha256
policy = any
unique_subject = no
x509_extensions = ext
[any]
commonName = supplied
[ext]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = CA:FALSE
""")
    keypair_csr(d, "expired", "localhost")
    run("openssl", "ca", "-batch", "-config", "ca.cnf", "-cert", "ca.crt",
        "-keyfile", "ca.key", "-in", "expired.csr", "-out", "expired.crt",
        "-startdate", "20200101000000Z", "-enddate", "20210101000000Z",
        "-notext", cwd=d)


def make_pki(d):
    make_ca(d, "ca", "syscontainer test CA")
    make_ca(d, "ca2", "another test CA")
    keypair_csr(d, "tls", "localhost")
    sign(d, "tls", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
         "extendedKeyUsage=serverAuth")
    keypair_csr(d, "wrong", "wrong.example")
    sign(d, "wrong", "ca", "subjectAltName=DNS:wrong.example,DNS:other.example,"
         "IP:192.0.2.7")
    keypair_csr(d, "client", "test-client")
    sign(d, "client", "ca", "extendedKeyUsage=clientAuth")
    make_expired(d)
    open(os.path.join(d, "pki.done"), "w").close()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        self.request.settimeout(10)
        ctx = self.server.ssl_ctx
        if ctx:
            self.request = ctx.wrap_socket(self.request, server_side=True)
        with self.server.lock:
            self.server.conns += 1
        self.reqs = 0
        self.drop_next = False
        super().setup()

    def log_message(self, *args):
        pass

    def reply(self, code, body=b"", headers=(), length=True):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def chunked(self, pieces, trailer=True):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        out = b""
        for i, p in enumerate(pieces):
            out += b"%x;i=%d\r\n" % (len(p), i) + p + b"\r\n"
        out += b"0\r\n" + (b"X-Trailer: yes\r\n" if trailer else b"") + b"\r\n"
        self.wfile.write(out)

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        self.reply(200, b"posted %d" % len(body))

    def do_GET(self):
        if self.drop_next:
            self.close_connection = True  # read the request, answer nothing
            return
        self.reqs += 1
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        path = url.path
        pattern = lambda n: bytes(i % 251 for i in range(n))
        if path == "/hello":
            self.reply(200, b"hello\n")
        elif path == "/big":
            self.reply(200, pattern(int(q.get("n", "0"))))
        elif path == "/bigchunked":
            data = pattern(int(q.get("n", "0")))
            self.chunked([data[i:i + 1000] for i in range(0, len(data), 1000)])
        elif path == "/chunked":
            self.chunked([b"hello", b" ", b"world"])
        elif path == "/count":
            self.reply(200, b"%d %d" % (self.server.conns, self.reqs))
        elif path == "/redirect":
            self.reply(int(q.get("code", "302")), b"moved\n",
                       [("Location", q.get("to", "/hello"))])
        elif path == "/loop":
            self.reply(302, b"", [("Location", "/loop")])
        elif path == "/auth":
            a = self.headers.get("Authorization")
            self.reply(200, ("auth=" + (a if a else "none")).encode())
        elif path == "/headers":
            self.reply(200, (self.requestline + "\n" + str(self.headers)).encode())
        elif path == "/slow-head":
            time.sleep(3)
            self.reply(200, b"late\n")
        elif path == "/slow-body":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"abc")
            self.wfile.flush()
            time.sleep(3)
            self.wfile.write(b"defghij")
        elif path == "/short":
            self.send_response(200)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"abcde")
            self.close_connection = True
        elif path == "/retry":
            self.reply(503, b"busy\n", [("Retry-After", "7")])
        elif path == "/close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until the end")
            self.close_connection = True
        elif path == "/trickle-head":
            head = b"HTTP/1.1 200 OK\r\nX-Pad: " + b"a" * 26 + b"\r\nContent-Length: 3\r\n\r\n"
            for i in range(len(head)):
                self.wfile.write(head[i:i + 1])
                self.wfile.flush()
                time.sleep(0.1)
            self.wfile.write(b"end")
        elif path == "/trickle-body":
            n, every = int(q.get("n", "100")), int(q.get("every", "100"))
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            for i in range(n):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(every / 1000)
        elif path == "/close-notify":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"until the end")
            self.close_connection = True
            if self.server.ssl_ctx:
                self.request.unwrap()
        elif path == "/arm-drop":
            self.drop_next = True
            self.reply(200, b"armed\n")
        elif path == "/drop":
            self.reply(200, b"bye\n")
            self.close_connection = True
        elif path == "/client-cert":
            cert = self.request.getpeercert() if self.server.ssl_ctx else None
            cn = "none"
            for rdn in (cert or {}).get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
            self.reply(200, ("cn=" + cn).encode())
        else:
            self.reply(404, b"not found\n")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, ssl_ctx):
        self.ssl_ctx = ssl_ctx
        self.lock = threading.Lock()
        self.conns = 0
        super().__init__(("127.0.0.1", 0), Handler)

    def handle_error(self, request, client_address):
        pass  # failed handshakes are what some tests are about


def tls_ctx(d, name, client_ca=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, name + ".crt"), os.path.join(d, name + ".key"))
    if client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(os.path.join(d, client_ca))
    return ctx


def main():
    d = os.path.abspath(sys.argv[1])
    if not os.path.exists(os.path.join(d, "pki.done")):
        make_pki(d)
    roles = {
        "plain": None,
        "other": None,
        "tls": tls_ctx(d, "tls"),
        "wrong": tls_ctx(d, "wrong"),
        "expired": tls_ctx(d, "expired"),
        "mtls": tls_ctx(d, "tls", client_ca="ca.crt"),
    }
    lines = []
    for role, ctx in roles.items():
        srv = Server(ctx)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        lines.append("%s %d\n" % (role, srv.server_address[1]))
    tmp = os.path.join(d, "ports.tmp")
    with open(tmp, "w") as f:
        f.writelines(lines)
    os.rename(tmp, os.path.join(d, "ports"))
    threading.Event().wait()


if __name__ == "__main__":
    main()

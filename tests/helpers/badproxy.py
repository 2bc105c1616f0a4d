#!/usr/bin/python3
"""badproxy.py DIR PORT UPSTREAM_PORT: a reverse proxy on 127.0.0.1:PORT
in front of a plain-HTTP registry on 127.0.0.1:UPSTREAM_PORT that damages
what it forwards, as DIR/mode (read at every request) says:

  pass            forward untouched
  bad-json        a manifest body without its closing '}' (no longer JSON)
  alter-manifest  a manifest body with one blank added (valid JSON, another
                  digest)
  zstd            "tar+gzip" in a manifest replaced by "tar+zstd"
  schema1         a schema 1 manifest instead of the real one
  flip-blob       one byte in the middle of every blob over 1000 bytes
                  flipped (same length)
  short-blob      blobs over 1000 bytes lose their last byte (the
                  Content-Length says so)
  fail503 N       the first N requests after this mode was written answer
                  503 with Retry-After: 1
  reset N         the first N requests are answered by a TCP reset

Distribution validates what is pushed, so damaged documents can only be
served this way.  Every request is logged to DIR/proxy.log as
"METHOD PATH STATUS".
"""
import http.client
import http.server
import os
import socket
import struct
import sys
import threading

DIR, PORT, UP = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
LOG = os.path.join(DIR, 'proxy.log')
lock = threading.Lock()
used = {}

SCHEMA1 = (b'{"schemaVersion":1,"name":"test/x","tag":"t","architecture":"amd64",'
           b'"fsLayers":[],"history":[]}')


def mode():
    try:
        with open(os.path.join(DIR, 'mode')) as f:
            return f.read().strip() or 'pass'
    except FileNotFoundError:
        return 'pass'


def take(m):
    """For "fail503 N"/"reset N": 1 while the N first requests are not used up."""
    name, n = m.split()
    with lock:
        k = used.get(m, 0)
        used[m] = k + 1
    return k < int(n)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def log(self, status):
        with lock, open(LOG, 'a') as f:
            f.write('%s %s %s\n' % (self.command, self.path, status))

    def reply(self, status, headers, body):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)
        self.log(status)

    def forward(self):
        m = mode()
        if m.startswith('fail503 ') and take(m):
            return self.reply(503, [('Retry-After', '1')], b'busy\n')
        if m.startswith('reset ') and take(m):
            self.log('reset')
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack('ii', 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        n = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(n) if n else None
        up = http.client.HTTPConnection('127.0.0.1', UP, timeout=30)
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in ('host', 'connection', 'content-length')}
        up.request(self.command, self.path, body=body, headers=hdrs)
        r = up.getresponse()
        data = r.read()
        headers = [(k, v) for k, v in r.getheaders()
                   if k.lower() not in ('connection', 'content-length', 'transfer-encoding',
                                        'keep-alive')]
        up.close()
        manifest = '/manifests/' in self.path and r.status == 200 and self.command == 'GET'
        blob = '/blobs/' in self.path and r.status == 200 and self.command == 'GET'
        if manifest and m == 'bad-json':
            data = data.rstrip()[:-1]
        elif manifest and m == 'alter-manifest':
            data = b'{ ' + data[1:]
        elif manifest and m == 'zstd':
            data = data.replace(b'tar+gzip', b'tar+zstd')
        elif manifest and m == 'schema1':
            data = SCHEMA1
            headers = [(k, v) for k, v in headers if k.lower() != 'content-type']
            headers.append(('Content-Type', 'application/vnd.docker.distribution.manifest.v1+prettyjws'))
        elif blob and m == 'flip-blob' and len(data) > 1000:
            i = len(data) // 2
            data = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
        elif blob and m == 'short-blob' and len(data) > 1000:
            data = data[:-1]
        self.reply(r.status, headers, data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


http.server.ThreadingHTTPServer(('127.0.0.1', PORT), Handler).serve_forever()

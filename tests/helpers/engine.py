#!/usr/bin/python3
"""engine.py SOCKET MODE [ARCHIVE]: a Docker Engine API on a unix socket
for the shapes a real engine (podman's service) will not produce.

MODE
  old-api     /_ping says Api-Version 1.12
  not-engine  every request gets 404 and a plain-text body, as from a web
              server that is no engine
  serve       API 1.41: /_ping, /vX/images/NAME/json (200 for any NAME),
              /vX/images/get answers ARCHIVE (a file) for any names,
              chunked as engines send it
  endless     as serve, but after ARCHIVE the body goes on with zero
              bytes, a chunk every 50 ms, never ending
  truncated   as serve, but the connection closes in the middle of a chunk
              halfway through ARCHIVE

Each request line is appended to SOCKET.log.  Debian's python3, stdlib only.
"""
import http.server
import os
import socketserver
import sys
import time

sock, mode = sys.argv[1], sys.argv[2]
archive = sys.argv[3] if len(sys.argv) > 3 else None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, fmt, *args):
        with open(sock + '.log', 'a') as f:
            f.write(self.requestline + '\n')

    def reply(self, status, body, ctype='application/json', api='1.41'):
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        if api:
            self.send_header('Api-Version', api)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def chunk(self, data):
        self.wfile.write(b'%x\r\n' % len(data) + data + b'\r\n')

    def export(self):
        data = open(archive, 'rb').read()
        self.send_response(200)
        self.send_header('Content-Type', 'application/x-tar')
        self.send_header('Api-Version', '1.41')
        self.send_header('Transfer-Encoding', 'chunked')
        self.end_headers()
        if mode == 'truncated':
            half = len(data) // 2
            self.wfile.write(b'%x\r\n' % half + data[:half // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        for i in range(0, len(data), 65536):
            self.chunk(data[i:i + 65536])
        if mode == 'endless':
            while True:
                self.chunk(b'\0' * 4096)
                self.wfile.flush()
                time.sleep(0.05)
        self.wfile.write(b'0\r\n\r\n')

    def do_GET(self):
        self.log_message('')
        path = self.path.split('?')[0]
        if mode == 'not-engine':
            self.reply(404, b'404 page not found\n', 'text/plain', None)
        elif mode == 'old-api':
            self.reply(200, b'OK', 'text/plain', '1.12')
        elif path == '/_ping':
            self.reply(200, b'OK', 'text/plain')
        elif path.endswith('/images/get'):
            self.export()
        elif path.endswith('/json'):
            self.reply(200, b'{}')
        else:
            self.reply(404, b'{"message":"page not found"}')


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


if os.path.exists(sock):
    os.unlink(sock)
Server(sock, Handler).serve_forever()

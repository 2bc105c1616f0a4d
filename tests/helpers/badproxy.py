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
  slow-head       every response head goes out a byte every 0.3 s
  slow-blob       blobs over 1000 bytes: 100 bytes, then 10 bytes a second
  drop-blob N     the first N whole-blob GETs of blobs over 1000 bytes send
                  the full Content-Length but only half the body, then the
                  connection closes; Range requests are forwarded as they are
  drop-always     every blob answer over 1000 bytes, ranged or not, is cut
                  in half that way
  ignore-range    drop-blob 1, and Range requests answered 200 with the
                  whole blob, as a server that ignores Range does
  bad-content-range  drop-blob 1, and Range requests answered 206 with a
                  Content-Range (and body) one byte later than asked
  redirect-blob   blob GETs answer 307 to /objstore/DIGEST?sig=N (N counts
                  up); a signed URL works once (again: 403, expired); the
                  first object-store answer over 1000 bytes is cut in half
  expired-redirect   the same, but sig=1 is expired from the start
  delay S         every request waits S seconds before it is forwarded
  hold-blob S     every blob GET is held S seconds before it is forwarded;
                  how many were held at once when each arrived goes to
                  DIR/inflight.log, one number a line
  flip-one H[,H]  as flip-blob, only for the blobs whose digest starts
                  with one of the hex prefixes H; with two, the first one's
                  blob is answered 1 s late (so that the other fails first)
  expire-token N  the Nth blob GET is answered 401 with the registry's own
                  Bearer challenge and error="invalid_token", as a registry
                  answers a token that expired

Distribution validates what is pushed, so damaged documents can only be
served this way.  Every request is logged to DIR/proxy.log as
"METHOD PATH STATUS", plus " range=VALUE" when it asked for a Range.
"""
import http.client
import http.server
import os
import re
import socket
import struct
import sys
import threading
import time

DIR, PORT, UP = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
LOG = os.path.join(DIR, 'proxy.log')
lock = threading.Lock()
used = {}
signed = {'next': 1, 'used': set(), 'cut': False}
held = {'now': 0}

SCHEMA1 = (b'{"schemaVersion":1,"name":"test/x","tag":"t","architecture":"amd64",'
           b'"fsLayers":[],"history":[]}')


def mode():
    try:
        with open(os.path.join(DIR, 'mode')) as f:
            return f.read().strip() or 'pass'
    except FileNotFoundError:
        return 'pass'


def last(m):
    """For "expire-token N": 1 for the Nth request only."""
    n = int(m.split()[1])
    with lock:
        k = used.get(m, 0) + 1
        used[m] = k
    return k == n


def take(m):
    """For "fail503 N"/"reset N"/"drop-blob N": 1 while the N first requests
    are not used up (m may carry a "#..." suffix to count apart)."""
    name, n = m.split('#')[0].split()
    with lock:
        k = used.get(m, 0)
        used[m] = k + 1
    return k < int(n)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def log(self, status):
        rng = self.headers.get('Range')
        with lock, open(LOG, 'a') as f:
            f.write('%s %s %s%s\n' % (self.command, self.asked, status,
                                      ' range=' + rng if rng else ''))

    def write_head(self, status, headers, length):
        """The status line and headers, trickled in slow-head mode."""
        lines = ['HTTP/1.1 %d %s' % (status, self.responses.get(status, ('',))[0])]
        lines += ['%s: %s' % kv for kv in headers]
        lines += ['Content-Length: %d' % length, '', '']
        head = '\r\n'.join(lines).encode()
        if mode() != 'slow-head':
            self.wfile.write(head)
            return
        for i in range(len(head)):
            self.wfile.write(head[i:i + 1])
            time.sleep(0.3)

    def reply(self, status, headers, body, cut=None, trickle=False):
        """Send a response; cut: send only that many body bytes and close.
        Logged first: a client may hang up before the body is through."""
        self.log(status)
        self.write_head(status, headers, len(body))
        if self.command != 'HEAD':
            if cut is not None:
                self.wfile.write(body[:cut])
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            elif trickle:
                self.wfile.write(body[:100])
                for i in range(100, len(body), 10):
                    time.sleep(1)
                    self.wfile.write(body[i:i + 10])
            else:
                self.wfile.write(body)

    def objstore(self, m):
        """The object store behind redirect-blob: each signed URL works once."""
        path, _, query = self.path.partition('?')
        sig = int(query.split('=')[1])
        with lock:
            expired = sig in signed['used'] or (m == 'expired-redirect' and sig == 1)
            signed['used'].add(sig)
        if expired:
            return self.reply(403, [], b'signature expired\n')
        self.path = '/v2/' + path[len('/objstore/'):]
        status, headers, data = self.upstream()
        with lock:
            first_big = len(data) > 1000 and not signed['cut'] and m == 'redirect-blob'
            signed['cut'] |= first_big
        self.reply(status, headers, data, cut=len(data) // 2 if first_big else None)

    def upstream(self):
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
        return r.status, headers, data

    def blob_faults(self, m, status, headers, data):
        """The resume modes; True when the answer was sent here."""
        rng = self.headers.get('Range')
        if m == 'drop-always' and status in (200, 206):
            self.reply(status, headers, data, cut=len(data) // 2)
            return True
        if rng and m in ('ignore-range', 'bad-content-range'):
            start = int(re.match(r'bytes=(\d+)-', rng).group(1))
            self.headers.replace_header('Range', 'bytes=0-')
            _, headers, whole = self.upstream()
            headers = [(k, v) for k, v in headers if k.lower() != 'content-range']
            self.headers.replace_header('Range', rng)
            if m == 'ignore-range':
                self.reply(200, headers, whole)
            else:
                headers.append(('Content-Range', 'bytes %d-%d/%d' % (start + 1, len(whole) - 1,
                                                                     len(whole))))
                self.reply(206, headers, whole[start + 1:])
            return True
        budget = {'drop-blob': None, 'ignore-range': 'drop-blob 1',
                  'bad-content-range': 'drop-blob 1'}
        key = m if m.startswith('drop-blob ') else budget.get(m)
        if key and not rng and status == 200 and take(key + '#' + m):
            self.reply(status, headers, data, cut=len(data) // 2)
            return True
        return False

    def forward(self):
        self.asked = self.path
        m = mode()
        with lock:
            if signed.get('mode') != m:
                signed.update({'mode': m, 'next': 1, 'used': set(), 'cut': False})
        if m.startswith('fail503 ') and take(m):
            return self.reply(503, [('Retry-After', '1')], b'busy\n')
        if m.startswith('reset ') and take(m):
            self.log('reset')
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack('ii', 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if self.path.startswith('/objstore/'):
            return self.objstore(m)
        if (m in ('redirect-blob', 'expired-redirect') and '/blobs/' in self.path and
                self.command == 'GET'):
            with lock:
                sig = signed['next']
                signed['next'] += 1
            digest = self.path.rsplit('/', 1)[1]
            repo = self.path[len('/v2/'):self.path.index('/blobs/')]
            return self.reply(307, [('Location', '/objstore/%s/blobs/%s?sig=%d' % (repo, digest, sig))], b'')
        if m.startswith('delay '):
            time.sleep(float(m.split()[1]))
        if m.startswith('hold-blob ') and '/blobs/' in self.path and self.command == 'GET':
            with lock:
                held['now'] += 1
                with open(os.path.join(DIR, 'inflight.log'), 'a') as f:
                    f.write('%d\n' % held['now'])
            try:
                time.sleep(float(m.split()[1]))
                status, headers, data = self.upstream()
            finally:
                with lock:
                    held['now'] -= 1
            return self.reply(status, headers, data)
        status, headers, data = self.upstream()
        for k, v in headers:
            if k.lower() == 'www-authenticate':
                with lock:
                    signed['challenge'] = v
        if (m.startswith('expire-token ') and '/blobs/' in self.path and
                self.command == 'GET' and status == 200 and last(m)):
            challenge = re.sub(r',error="[^"]*"', '', signed['challenge'])
            return self.reply(401, [('WWW-Authenticate', challenge + ',error="invalid_token"')],
                              b'{"errors":[{"code":"UNAUTHORIZED","message":"token expired"}]}')
        manifest = '/manifests/' in self.path and status == 200 and self.command == 'GET'
        blob = '/blobs/' in self.path and status in (200, 206) and self.command == 'GET'
        if blob and len(data) > 1000 and self.blob_faults(m, status, headers, data):
            return
        if blob and len(data) > 1000 and m == 'slow-blob':
            return self.reply(status, headers, data, trickle=True)
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
        elif (blob and m.startswith('flip-one ') and len(data) > 1000 and
              any(self.path.rsplit(':', 1)[-1].startswith(h) for h in m.split()[1].split(','))):
            i = len(data) // 2
            data = data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:]
            hexes = m.split()[1].split(',')
            if len(hexes) > 1 and self.path.rsplit(':', 1)[-1].startswith(hexes[0]):
                time.sleep(1)
        elif blob and m == 'short-blob' and len(data) > 1000:
            data = data[:-1]
        self.reply(status, headers, data)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


http.server.ThreadingHTTPServer(('127.0.0.1', PORT), Handler).serve_forever()

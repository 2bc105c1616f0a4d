#!/usr/bin/python3
"""tokenserver.py DIR PORT SERVICE USER:PASS [EXPIRES_IN]: a Docker-style
token server for distribution's `auth: token` set-up, on 127.0.0.1:PORT.

At start it makes an EC P-256 key and a self-signed certificate, writes the
certificate to DIR/token.crt (the registry's rootcertbundle) and only then
listens, so a caller waits for the port.  GET /token?service=S&scope=...:
  - Basic USER:PASS        -> a token granting every requested action
  - no Authorization       -> a token granting nothing (what Docker Hub
                              does for anonymous pulls of private images)
  - other credentials      -> 401
POST /token with an OAuth2 refresh_token grant (form-encoded, as docker
trades an identity token): a token granting every requested action when
refresh_token is $TOKEN_REFRESH (set and not empty), else 401; logged as
"POST /token scope=SCOPE refresh" or "... refresh-bad".
Tokens are ES256 JWTs whose header carries the certificate in `x5c`
(distribution 2.8 trusts nothing else).  Every request is logged to
DIR/token.log as "METHOD PATH?QUERY AUTH" where AUTH is "basic",
"basic-bad" or "anonymous" (never the credentials).  The token is returned
both as `token` and `access_token`, with `expires_in` (default 300).
"""
import base64
import datetime
import http.server
import json
import os
import sys
import time
import urllib.parse
import uuid

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DIR, PORT, SERVICE, CREDS = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
EXPIRES = int(sys.argv[5]) if len(sys.argv) > 5 else 300
ISSUER = 'test-issuer'

key = ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'test token signer')])
now = datetime.datetime.utcnow()
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256()))
tmp = os.path.join(DIR, 'token.crt.tmp')
with open(tmp, 'wb') as f:
    f.write(cert.public_bytes(serialization.Encoding.PEM))
os.rename(tmp, os.path.join(DIR, 'token.crt'))
X5C = [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]
PEM = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption())
LOG = os.path.join(DIR, 'token.log')


def access(scopes):
    out = []
    for s in scopes:
        parts = s.split(':')
        if len(parts) >= 3:
            out.append({'type': parts[0], 'name': ':'.join(parts[1:-1]),
                        'actions': parts[-1].split(',')})
    return out


REFRESH = os.environ.get('TOKEN_REFRESH', '')


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def reply(self, code, doc):
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get('Content-Length', '0'))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        get = lambda k: form.get(k, [''])[0]
        good = (urllib.parse.urlsplit(self.path).path == '/token' and REFRESH and
                get('grant_type') == 'refresh_token' and get('refresh_token') == REFRESH)
        with open(LOG, 'a') as f:
            f.write('POST %s scope=%s %s\n' % (self.path, get('scope'),
                                                'refresh' if good else 'refresh-bad'))
        if not good:
            self.reply(401, {'error': 'invalid_grant'})
            return
        t = int(time.time())
        claims = {'iss': ISSUER, 'sub': CREDS.split(':')[0], 'aud': get('service') or SERVICE,
                  'exp': t + EXPIRES, 'nbf': t - 10, 'iat': t, 'jti': str(uuid.uuid4()),
                  'access': access([get('scope')])}
        tok = jwt.encode(claims, PEM, algorithm='ES256', headers={'x5c': X5C})
        self.reply(200, {'access_token': tok, 'expires_in': EXPIRES, 'scope': get('scope')})

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        got = self.headers.get('Authorization', '')
        if not got:
            who = 'anonymous'
        elif got == 'Basic ' + base64.b64encode(CREDS.encode()).decode():
            who = 'basic'
        else:
            who = 'basic-bad'
        with open(LOG, 'a') as f:
            f.write('GET %s %s\n' % (self.path, who))
        if who == 'basic-bad' or u.path != '/token':
            body = b'{"details":"incorrect username or password"}'
            self.send_response(401)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        t = int(time.time())
        claims = {'iss': ISSUER, 'sub': CREDS.split(':')[0] if who == 'basic' else '',
                  'aud': q.get('service', [SERVICE])[0], 'exp': t + EXPIRES, 'nbf': t - 10,
                  'iat': t, 'jti': str(uuid.uuid4()),
                  'access': access(q.get('scope', [])) if who == 'basic' else []}
        tok = jwt.encode(claims, PEM, algorithm='ES256', headers={'x5c': X5C})
        body = json.dumps({'token': tok, 'access_token': tok, 'expires_in': EXPIRES,
                           'issued_at': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(t))}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(('127.0.0.1', PORT), Handler).serve_forever()

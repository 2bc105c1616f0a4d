#!/usr/bin/python3
"""ocipush.py LAYOUT REFNAME HOST:PORT NAME:TAG: push one image of an OCI
layout to a plain-HTTP registry byte for byte (blobs, then the manifest),
with the distribution API's monolithic upload.  skopeo compresses
uncompressed layers on the way to a registry; this does not, so a test can
serve uncompressed (application/vnd.oci.image.layer.v1.tar) layers.
"""
import http.client
import json
import os
import sys

layout, refname, hostport, name_tag = sys.argv[1:5]
name, tag = name_tag.rsplit(':', 1)
host, port = hostport.rsplit(':', 1)


def blob(digest):
    alg, hexd = digest.split(':')
    with open(os.path.join(layout, 'blobs', alg, hexd), 'rb') as f:
        return f.read()


def request(method, path, body=None, headers=None):
    c = http.client.HTTPConnection(host, int(port), timeout=30)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300:
        sys.exit('%s %s: HTTP %d %s' % (method, path, r.status, data[:200]))
    return r


index = json.load(open(os.path.join(layout, 'index.json')))
desc = [m for m in index['manifests']
        if m.get('annotations', {}).get('org.opencontainers.image.ref.name') == refname][0]
manifest = blob(desc['digest'])
m = json.loads(manifest)
for d in [m['config']] + m['layers']:
    r = request('POST', '/v2/%s/blobs/uploads/' % name, b'')
    loc = r.getheader('Location')
    loc = loc[loc.index('/v2/'):] if '/v2/' in loc else loc
    request('PUT', loc + ('&' if '?' in loc else '?') + 'digest=' + d['digest'], blob(d['digest']),
            {'Content-Type': 'application/octet-stream'})
request('PUT', '/v2/%s/manifests/%s' % (name, tag), manifest,
        {'Content-Type': desc.get('mediaType', m.get('mediaType'))})

#!/usr/bin/python3
"""mkimage.py: an OCI image layout of real files for `make bench`.

usage: mkimage.py OUTDIR NAME LAYER [LAYER...]
  LAYER: host directories joined by ',', stored under their own paths.

Writes OUTDIR/NAME.oci (tag "t"; each layer gzip level 6, as Docker and
skopeo compress), OUTDIR/NAME.N.tar (layer N uncompressed, for the tar -xf
and ostree commit peers) and OUTDIR/NAME.N.tar.gz (the blob as served).
Owners, modes and links are the host's; mtimes are kept, so the digests
follow the host's files (the fixtures are cached, never compared across
machines).  Debian's python3, stdlib only.
"""

import gzip
import hashlib
import json
import os
import sys
import tarfile


def blob(layout, data, media):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, 'blobs', 'sha256', d), 'wb') as f:
        f.write(data)
    return {'mediaType': media, 'digest': 'sha256:' + d, 'size': len(data)}


def layer_tar(dirs, path):
    with tarfile.open(path, 'w', format=tarfile.PAX_FORMAT) as t:
        for top in dirs:
            # parents first, so the layer is complete on its own
            parts = top.strip('/').split('/')
            for i in range(1, len(parts)):
                t.add('/' + '/'.join(parts[:i]), arcname='/'.join(parts[:i]), recursive=False)
            t.add(top, arcname=top.strip('/'))


def main():
    out, name, layers = sys.argv[1], sys.argv[2], sys.argv[3:]
    layout = os.path.join(out, name + '.oci')
    os.makedirs(os.path.join(layout, 'blobs', 'sha256'), exist_ok=True)
    descs, diffs = [], []
    for n, spec in enumerate(layers, 1):
        raw = os.path.join(out, '%s.%d.tar' % (name, n))
        layer_tar(spec.split(','), raw)
        # streamed: the big image's layer is 2 GB
        diff = hashlib.sha256()
        with open(raw, 'rb') as f, open(raw + '.gz', 'wb') as g:
            with gzip.GzipFile(filename='', mode='wb', fileobj=g, compresslevel=6, mtime=0) as z:
                for chunk in iter(lambda: f.read(1 << 20), b''):
                    diff.update(chunk)
                    z.write(chunk)
        diffs.append('sha256:' + diff.hexdigest())
        h, size = hashlib.sha256(), 0
        with open(raw + '.gz', 'rb') as g:
            for chunk in iter(lambda: g.read(1 << 20), b''):
                h.update(chunk)
                size += len(chunk)
        try:
            os.link(raw + '.gz', os.path.join(layout, 'blobs', 'sha256', h.hexdigest()))
        except FileExistsError:
            pass                # the same layer twice
        descs.append({'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip',
                      'digest': 'sha256:' + h.hexdigest(), 'size': size})
    config = {'architecture': 'amd64', 'os': 'linux',
              'config': {'Cmd': ['/bin/sh'], 'Env': ['PATH=/usr/sbin:/usr/bin:/sbin:/bin']},
              'rootfs': {'type': 'layers', 'diff_ids': diffs}}
    cdesc = blob(layout, json.dumps(config).encode(), 'application/vnd.oci.image.config.v1+json')
    manifest = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                'config': cdesc, 'layers': descs}
    mdesc = blob(layout, json.dumps(manifest).encode(), 'application/vnd.oci.image.manifest.v1+json')
    mdesc['annotations'] = {'org.opencontainers.image.ref.name': 't'}
    with open(os.path.join(layout, 'index.json'), 'w') as f:
        json.dump({'schemaVersion': 2, 'manifests': [mdesc]}, f)
    with open(os.path.join(layout, 'oci-layout'), 'w') as f:
        json.dump({'imageLayoutVersion': '1.0.0'}, f)


main()

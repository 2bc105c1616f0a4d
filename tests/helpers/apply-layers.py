#!/usr/bin/python3
"""apply-layers.py REPO DEST REF...: assemble an image rootfs in DEST from
its layer commits, base first, with the system's ostree CLI, the way the OCI
layer spec says a runtime applies layers:

  for each layer, in order:
    1. check it out alone (a scratch dir next to DEST) to see its whiteouts;
    2. `.wh..wh..opq` in directory D: empty DEST/D of what lower layers put
       there; `.wh.NAME` in D: delete DEST/D/NAME (file or whole tree);
    3. `ostree checkout --union` the layer over DEST;
    4. delete the layer's whiteout files from DEST.

This is an independent oracle for tests, not the product's checkout: it is
for trusted fixtures only (`ostree checkout --union` follows a symlink a
lower layer left where an upper layer has a directory; the product must
not).  An existing directory keeps its mode and owner under --union, which is
what a synthesised parent directory must do.  Exits 1 naming the failing
step.
"""
import os
import shutil
import subprocess
import sys

OPQ = '.wh..wh..opq'


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


def whiteouts(scratch):
    """(opaque dirs, deleted paths, whiteout files), relative to the root."""
    opaque, deleted, files = [], [], []
    for d, dirs, names in os.walk(scratch):
        rel = os.path.relpath(d, scratch)
        rel = '' if rel == '.' else rel
        for n in names + dirs:
            if not n.startswith('.wh.'):
                continue
            files.append(os.path.join(rel, n))
            if n == OPQ:
                opaque.append(rel)
            else:
                deleted.append(os.path.join(rel, n[len('.wh.'):]))
    return opaque, deleted, files


def ostree(*args):
    r = subprocess.run(['ostree'] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if r.returncode:
        sys.stderr.write('apply-layers: ostree %s: %s' % (' '.join(args), r.stdout.decode()))
        sys.exit(1)


def main():
    if len(sys.argv) < 4:
        sys.stderr.write('usage: apply-layers.py REPO DEST REF...\n')
        return 2
    repo, dest, layers = sys.argv[1], sys.argv[2], sys.argv[3:]
    scratch = dest.rstrip('/') + '.layer'
    for ref in layers:
        remove(scratch)
        ostree('checkout', '--repo=' + repo, ref, scratch)
        opaque, deleted, files = whiteouts(scratch)
        remove(scratch)
        if os.path.isdir(dest):
            for d in opaque:
                top = os.path.join(dest, d)
                if os.path.isdir(top) and not os.path.islink(top):
                    for n in os.listdir(top):
                        remove(os.path.join(top, n))
            for p in deleted:
                remove(os.path.join(dest, p))
        ostree('checkout', '--repo=' + repo, '--union', ref, dest)
        for f in files:
            remove(os.path.join(dest, f))
    return 0


if __name__ == '__main__':
    sys.exit(main())

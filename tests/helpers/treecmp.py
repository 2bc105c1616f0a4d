#!/usr/bin/python3
"""treecmp.py [--no-owner] EXPECTED GOT: compare two directory trees the way
an image rootfs must match its reference (e.g. `umoci unpack`'s rootfs).

Compared for every path, the roots included: the set of paths, file type,
the whole mode (setuid, setgid and sticky bits too), uid and gid, and for
regular files the size and sha256 of the contents, for symlinks the target,
and the xattrs (security.selinux excepted: the host labels checkouts).
Paths that are hardlinks of one another in EXPECTED must share an inode in
GOT.  The converse is not asked: a store that keeps identical files once
(OSTree) may hand out one inode for unrelated paths.

Not compared: mtimes (OSTree stores none), directory sizes, device numbers.
Prints one line per difference (at most 200) and exits 1 when there is any.
"""
import hashlib
import os
import stat
import sys

SKIP_XATTRS = {'security.selinux'}


def kind(mode):
    for test, name in ((stat.S_ISREG, 'file'), (stat.S_ISDIR, 'dir'), (stat.S_ISLNK, 'symlink'),
                       (stat.S_ISCHR, 'chardev'), (stat.S_ISBLK, 'blockdev'),
                       (stat.S_ISFIFO, 'fifo'), (stat.S_ISSOCK, 'socket')):
        if test(mode):
            return name
    return 'unknown'


def walk(root):
    """{relative path: lstat} for root and everything below, no link followed."""
    out = {'.': os.lstat(root)}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root)] = os.lstat(p)
    return out


def digest(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for c in iter(lambda: f.read(1 << 20), b''):
            h.update(c)
    return h.hexdigest()


def xattrs(path):
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    return {n: os.getxattr(path, n, follow_symlinks=False) for n in names if n not in SKIP_XATTRS}


def compare(exp_root, got_root, owner=True):
    diffs = []
    exp, got = walk(exp_root), walk(got_root)
    for p in sorted(set(exp) - set(got)):
        diffs.append('%s: missing (expected %s)' % (p, kind(exp[p].st_mode)))
    for p in sorted(set(got) - set(exp)):
        diffs.append('%s: unexpected %s' % (p, kind(got[p].st_mode)))
    for p in sorted(set(exp) & set(got)):
        e, g = exp[p], got[p]
        ep, gp = os.path.join(exp_root, p), os.path.join(got_root, p)
        if kind(e.st_mode) != kind(g.st_mode):
            diffs.append('%s: %s, expected %s' % (p, kind(g.st_mode), kind(e.st_mode)))
            continue
        if stat.S_IMODE(e.st_mode) != stat.S_IMODE(g.st_mode) and not stat.S_ISLNK(e.st_mode):
            diffs.append('%s: mode %04o, expected %04o' % (p, stat.S_IMODE(g.st_mode),
                                                           stat.S_IMODE(e.st_mode)))
        if owner and (e.st_uid, e.st_gid) != (g.st_uid, g.st_gid):
            diffs.append('%s: owner %d:%d, expected %d:%d' % (p, g.st_uid, g.st_gid,
                                                             e.st_uid, e.st_gid))
        if stat.S_ISREG(e.st_mode):
            if e.st_size != g.st_size:
                diffs.append('%s: size %d, expected %d' % (p, g.st_size, e.st_size))
            elif digest(ep) != digest(gp):
                diffs.append('%s: contents differ' % p)
        if stat.S_ISLNK(e.st_mode) and os.readlink(ep) != os.readlink(gp):
            diffs.append('%s: link target %r, expected %r' % (p, os.readlink(gp), os.readlink(ep)))
        if not stat.S_ISLNK(e.st_mode) and xattrs(ep) != xattrs(gp):
            diffs.append('%s: xattrs %r, expected %r' % (p, xattrs(gp), xattrs(ep)))
    # hardlink groups of EXPECTED must be one inode in GOT
    groups = {}
    for p, s in exp.items():
        if stat.S_ISREG(s.st_mode) and s.st_nlink > 1:
            groups.setdefault((s.st_dev, s.st_ino), []).append(p)
    for paths in groups.values():
        inodes = {(got[p].st_dev, got[p].st_ino) for p in paths if p in got}
        if len(paths) > 1 and len(inodes) > 1:
            diffs.append('%s: hardlinked in the reference, %d inodes here'
                         % (', '.join(sorted(paths)), len(inodes)))
    return diffs


def main():
    args = sys.argv[1:]
    owner = True
    if args and args[0] == '--no-owner':
        owner, args = False, args[1:]
    if len(args) != 2:
        sys.stderr.write('usage: treecmp.py [--no-owner] EXPECTED GOT\n')
        return 2
    diffs = compare(args[0], args[1], owner)
    for d in diffs[:200]:
        print(d)
    if len(diffs) > 200:
        print('... %d more' % (len(diffs) - 200))
    return 1 if diffs else 0


if __name__ == '__main__':
    sys.exit(main())

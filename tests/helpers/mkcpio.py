#!/usr/bin/python3
"""mkcpio.py DIR OUT: DIR as a gzip-compressed newc cpio archive, as a
kernel unpacks an initramfs (files, directories, symlinks, device nodes;
owner root; the modes kept).  Written here so the tests need no cpio
package."""
import gzip
import os
import stat
import sys


def entry(out, name, st, data, ino):
    dev = stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
    fields = [ino, st.st_mode, 0, 0, 1, 0, len(data), 0, 0,
              os.major(st.st_rdev) if dev else 0, os.minor(st.st_rdev) if dev else 0,
              len(name) + 1, 0]
    head = b'070701' + b''.join(b'%08X' % f for f in fields) + name.encode() + b'\0'
    out.write(head + b'\0' * (-len(head) % 4))
    out.write(data + b'\0' * (-len(data) % 4))


def main():
    top, dest = sys.argv[1], sys.argv[2]
    with gzip.open(dest, 'wb', compresslevel=1) as out:
        ino = 1
        for d, dirs, files in os.walk(top):
            dirs.sort()
            for n in [''] + sorted(dirs) + sorted(files):
                if n == '' and d == top:
                    continue
                path = os.path.join(d, n) if n else d
                rel = os.path.relpath(path, top)
                st = os.lstat(path)
                if n in dirs:
                    continue  # listed when os.walk enters it
                if stat.S_ISLNK(st.st_mode):
                    data = os.readlink(path).encode()
                elif stat.S_ISREG(st.st_mode):
                    with open(path, 'rb') as f:
                        data = f.read()
                else:
                    data = b''
                entry(out, rel, st, data, ino)
                ino += 1
        entry(out, 'TRAILER!!!', os.stat(top), b'', 0)


main()

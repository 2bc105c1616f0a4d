#!/usr/bin/python3
"""Write a small docker-archive (docker save layout) from a layer spec.

usage: mkarchive.py OUT.tar NAME:TAG SPEC.json
SPEC: {"config": {...extra config keys...},
       "layers": [[ENTRY, ...], ...]}
ENTRY: {"path": "exports/x", "data": "text"}            regular file (0644)
       {"path": "bin/busybox", "from": "/bin/busybox", "mode": 0o755}  a host file's content
       {"path": "d/", "dir": true, "mode": 0o755}
       {"path": "l", "symlink": "target"}
       {"path": "p", "fifo": true}                       a named pipe
       any entry may add "xattrs": {"user.x": "v"} (pax SCHILY.xattr) and
       "uid"/"gid"; "config" may hold "Labels" etc. as a config's "config"
Deterministic: uid/gid 0, mtime 0, uncompressed layers.  The config names
the architecture of the binary under test ($IMAGE_ARCH, amd64 by default)."""
import hashlib, io, json, os, sys, tarfile

def layer_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["path"].rstrip("/"))
            ti.mtime = 0
            ti.mode = e.get("mode", 0o755 if e.get("dir") else 0o644)
            ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
            for k, v in e.get("xattrs", {}).items():
                ti.pax_headers["SCHILY.xattr." + k] = v
            if e.get("dir"):
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            elif e.get("fifo"):
                ti.type = tarfile.FIFOTYPE
                t.addfile(ti)
            elif "symlink" in e:
                ti.type = tarfile.SYMTYPE
                ti.linkname = e["symlink"]
                t.addfile(ti)
            else:
                data = open(e["from"], "rb").read() if "from" in e else e.get("data", "").encode()
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

def main():
    out, name, spec = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
    layers = [layer_bytes(l) for l in spec["layers"]]
    diff_ids = ["sha256:" + hashlib.sha256(l).hexdigest() for l in layers]
    config = {"architecture": os.environ.get("IMAGE_ARCH", "amd64"), "os": "linux",
              "created": "2024-01-02T03:04:05Z",
              "config": {}, "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    config.update(spec.get("config", {}))
    cfg = json.dumps(config, sort_keys=True).encode()
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    names = [d[7:] + ".tar" for d in diff_ids]
    manifest = json.dumps([{"Config": cfg_name, "RepoTags": [name],
                            "Layers": names}]).encode()
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        def add(n, data):
            ti = tarfile.TarInfo(n)
            ti.size, ti.mtime, ti.mode = len(data), 0, 0o644
            t.addfile(ti, io.BytesIO(data))
        add(cfg_name, cfg)
        for n, l in zip(names, layers):
            add(n, l)
        add("manifest.json", manifest)

main()

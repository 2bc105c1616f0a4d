# Shared by the pull tests (t0010-t0013), sourced after tests/lib.sh: run the
# binary without a network, build fixtures into $T, and read what a pull
# wrote through the system's ostree CLI (never through our own code).
#
# Fixture digests always come from the builders' NAME.info files or from the
# archives themselves: no hex is ever copied into a test.

helpers=$top/tests/helpers
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
fx=$T/fx

# offline: from here on every `sc` (and "$SC") runs in a fresh network
# namespace with only a down loopback, as the issue requires of archive
# pulls: whatever reaches for the network fails instead of passing by luck.
offline() {
	SC_REAL=$SC
	if unshare -n true 2> /dev/null; then
		mkdir -p "$T/bin"
		printf '#!/bin/sh\nexec unshare -n "%s" "$@"\n' "$SC_REAL" > "$T/bin/syscontainer"
		chmod 0755 "$T/bin/syscontainer"
		SC=$T/bin/syscontainer
	else
		skip_or_fail "unshare -n (a network namespace) is not available: running with the host's network"
	fi
}

# use_checkout DIR: a fresh CHECKOUT (and so a fresh private repo) for what
# follows; sets $R to that repo.
use_checkout() {
	export ATOMIC_OSTREE_CHECKOUT_PATH=$1
	R=$1/.storage/ostree
}

# build_umoci: multi.tar, shared.tar and the reference rootfs trees into $fx.
build_umoci() {
	mkdir -p "$fx"
	if ! sh "$top/tests/fixtures/mkimage-umoci.sh" "$fx" > "$T/.mkimage" 2>&1; then
		sed 's/^/#   /' "$T/.mkimage" | tail -20
		return 1
	fi
}

# build_hostile [--big-mb N] CASE...: hostile.py archives into $fx.
build_hostile() {
	mkdir -p "$fx"
	_opts=
	if [ "$1" = --big-mb ]; then _opts="--big-mb $2"; shift 2; fi
	for _c in "$@"; do
		# shellcheck disable=SC2086
		"$PY" "$top/tests/fixtures/hostile.py" --target "$T/hostile-target" $_opts \
			"$fx" "$_c" > /dev/null || return 1
	done
}

# info FILE EXPR: evaluate a Python expression over the JSON in FILE (bound
# to d); lists print one item a line, everything else as str().
info() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {'d': d})
for x in (v if isinstance(v, list) else [v]):
    print(x)
EOF
}

# archive_json ARCHIVE MEMBER: a JSON member of a docker-archive, printed;
# archive_config ARCHIVE: the config file of its only image (raw bytes).
archive_json() { tar -xOf "$1" "$2"; }
archive_config() {
	tar -xOf "$1" "$(tar -xOf "$1" manifest.json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"])')"
}

# diff_ids ARCHIVE: the config's diff IDs (sha256:...), one a line.
diff_ids() {
	archive_config "$1" | "$PY" -c 'import json,sys; print(*json.load(sys.stdin)["rootfs"]["diff_ids"], sep="\n")'
}

# sha256 FILE|-: the hex digest only.
sha256() { sha256sum "$1" | cut -d' ' -f1; }

# meta REF KEY: the GVariant text of a commit metadata key (empty and status
# 1 when absent); meta_str REF KEY: the string value, unescaped, exact bytes
# (a trailing newline of the value included).
meta() { ostree show --repo="$R" --print-metadata-key="$2" "$1" 2> /dev/null; }
meta_str() { meta "$1" "$2" | "$PY" "$helpers/gvariant-str.py"; }

# rev REF: the commit a ref names (empty when it does not resolve).
rev() { ostree rev-parse --repo="$R" "$1" 2> /dev/null; }

# refs: every ref of $R, sorted; image_refs: those that are not a layer's
# (a layer ref is ociimage/ followed by 64 hex digits).
refs() { ostree refs --repo="$R" 2> /dev/null | sort; }
image_refs() { refs | grep -v '^ociimage/[0-9a-f]\{64\}$'; }

# objects [TYPE]: the object files of $R (file, dirtree, dirmeta, commit...),
# one "xx/rest.TYPE" a line, sorted; count_objects [TYPE]: how many.
objects() {
	[ -d "$R/objects" ] || return 0
	(cd "$R/objects" && find . ! -type d -name "*.${1:-*}" | sed 's|^\./||' | sort)
}
count_objects() { objects "${1:-}" | wc -l | tr -d ' '; }

# rootfs DEST REF...: the layers checked out in order with whiteouts applied.
rootfs() { "$PY" "$helpers/apply-layers.py" "$R" "$@"; }

# assert_tree DESC EXPECTED GOT: treecmp.py finds no difference.
assert_tree() {
	if "$PY" "$helpers/treecmp.py" "$2" "$3" > "$T/.treecmp" 2>&1; then ok "$1"
	else not_ok "$1"; sed 's/^/#   /' "$T/.treecmp" | head -40; fi
}

# image_ref NAME: the ref of a normalised image name (encoded as README, Design says).
image_ref() {
	"$PY" -c '
import sys
ok = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
print("ociimage/" + "".join(chr(c) if c in ok else "_%02X" % c for c in sys.argv[1].encode()))
' "$1"
}

# meta_list REF KEY: the items of a string-array metadata key, sorted, one a
# line (nothing for an empty array; status 1 when the key is absent).
meta_list() {
	meta "$1" "$2" > "$T/.meta" || return 1
	"$PY" -c '
import ast, sys
t = open(sys.argv[1]).read().strip()
t = t[4:] if t.startswith("@as ") else t
for x in sorted(ast.literal_eval(t)):
    print(x)
' "$T/.meta"
}

# omitted_dirs < LAYER: the parent directories a layer tar (raw or gzip) uses
# without an entry of their own, sorted, one a line: what the product must
# synthesise and record.
omitted_dirs() {
	"$PY" -c '
import sys, tarfile
names = set()
with tarfile.open(fileobj=sys.stdin.buffer, mode="r|*") as t:
    for m in t:
        n = m.name
        while n.startswith("./") or n.startswith("/"):
            n = n[1:] if n.startswith("/") else n[2:]
        names.add(n.rstrip("/"))
parents = {n.rsplit("/", 1)[0] for n in names if "/" in n}
for p in list(parents):
    while "/" in p:
        p = p.rsplit("/", 1)[0]
        parents.add(p)
for p in sorted(parents - names - {"", "."}):
    print(p)
'
}

# retag ARCHIVE NAME:TAG OUT: a copy of a docker-archive whose manifest.json
# names the (first) image NAME:TAG instead; every other member byte-identical.
retag() {
	"$PY" - "$@" <<'PYEOF'
import io, json, sys, tarfile
src, tag, out = sys.argv[1:]
with tarfile.open(src) as i, tarfile.open(out, 'w', format=tarfile.PAX_FORMAT) as o:
    for m in i:
        if m.name == 'manifest.json':
            man = json.load(i.extractfile(m))
            man[0]['RepoTags'] = [tag]
            data = json.dumps(man).encode()
            m.size = len(data)
            o.addfile(m, io.BytesIO(data))
        else:
            o.addfile(m, i.extractfile(m) if m.isfile() else None)
PYEOF
}

# max_calls TRACE SYSCALL: how many times the busiest thread made SYSCALL in
# an `strace -f -o TRACE` log.  strace numbers the calls it injects into per
# thread (a layer's tar and store run on a thread of their own), so kill
# points come from this count: the last calls are the main thread's commit
# and refs.
max_calls() {
	awk -v s="$2" 'match($0, "^[0-9]+ +" s "\\(") { n[$1]++ }
		END { m = 0; for (p in n) if (n[p] > m) m = n[p]; if (m) print m }' "$1"
}

#!/bin/bash
# Issue 12: docker:NAME from a real engine -- podman's Docker-compatible
# service on a private socket with its own storage -- read as a stream
# straight into the store: the registry pull's trees, no file over 1 MB
# written outside the repository, the seed's `pull docker:etcd`, several
# images in one request with their shared layer passing once.  Then every
# way an engine fails: no such image, socket missing or forbidden,
# DOCKER_HOST not a unix socket, an old API, no engine at all, a tampered,
# endless or cut-off archive (those from engine.py): one line each, exit
# 1, nothing referenced, fsck clean.
. "$(dirname "$0")/lib.sh"
# LeakSanitizer cannot run under ptrace (the pulls followed with strace).
[ -n "${SANITIZE:-}" ] && export ASAN_OPTIONS=detect_leaks=0
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"
. "$top/tests/helpers/sources-lib.sh"
. "$top/tests/helpers/engine-lib.sh"

if ! command -v podman > /dev/null; then
	skip_or_fail "podman is not installed"
	done_testing
	exit
fi
if ! build_umoci || ! docker_save oci "$fx/d25.tar" || ! docker_save oci "$fx/d25-bad.tar" --tamper 2; then
	not_ok "build the fixtures (mkimage-umoci.sh, mkdockersave.py)"
	done_testing
	exit 1
fi
# podman keeps a short name it loads as localhost/NAME; docker would say
# docker.io/library/etcd, which is what the seed's `docker:etcd` asks for
retag "$fx/multi.tar" docker.io/library/etcd:latest "$fx/etcd.tar"
registry_baseline multi shared || not_ok "the registry pulls to compare with"
if ! start_podman "$fx/multi.tar" "$fx/shared.tar" "$fx/etcd.tar"; then
	not_ok "start podman system service with the test images"
	done_testing
	exit 1
fi
offline
export DOCKER_HOST=unix://$ENGINE_SOCK
mapfile -t diffs < <(diff_ids "$fx/multi.tar")
mapfile -t sdiffs < <(diff_ids "$fx/shared.tar")
cfg=$(sed -n 's/^config sha256://p' "$T/baseline.multi")
scfg=$(sed -n 's/^config sha256://p' "$T/baseline.shared")

# ---------------------------------------------------------------- one image
# Written files are followed through strace: a temporary copy of the
# archive or of a layer (the first is 2 MB) would show up.
use_checkout "$T/co-multi"
strace -f -y -qq -e trace=write,pwrite64,writev,pwritev,pwritev2 -o "$T/writes" \
	"$SC" pull docker:test/multi > "$T/.out" 2> "$T/.err"
rc=$? out=$(cat "$T/.out") errout=$(cat "$T/.err")
assert_eq "docker:test/multi: exit 0" "$rc" 0
assert_eq "docker:test/multi: nothing on stderr" "$errout" ""
expected=
for d in "${diffs[@]}"; do expected="${expected}Pulling layer ${d#sha256:}
Stored layer ${d:7:12}: *
"; done
assert_match "docker:test/multi: a line per layer, then the summary" "$out" \
	"${expected}Pulled docker.io/test/multi:latest (IMAGE ID ${cfg:0:12}): 3 layers stored, 0 skipped, [0-9]*"
same_as_registry "docker:test/multi" multi docker.io/test/multi:latest
img=$(image_ref docker.io/test/multi:latest)
assert_eq "docker:test/multi: syscontainer.source" "$(meta_str "$img" syscontainer.source)" \
	"docker:docker.io/test/multi:latest"
check "the first layer is over 1 MB (so a copy of it would count)" \
	test "$(meta_str "ociimage/${diffs[0]#sha256:}" docker.uncompressed_size)" -gt 1048576
"$PY" - "$T/writes" "$(cd "$R" && pwd -P)" > "$T/written" <<'EOF'
import re, sys
sizes = {}
for line in open(sys.argv[1]):
    m = re.search(r'\(\d+<([^>]*)>.*= (\d+)$', line)
    if m and m.group(1).startswith('/') and not m.group(1).startswith(sys.argv[2] + '/') \
            and not m.group(1).startswith('/dev/'):
        sizes[m.group(1)] = sizes.get(m.group(1), 0) + int(m.group(2))
for p, n in sorted(sizes.items()):
    print(n, p)
EOF
note "written outside the repository: $(tr "\n" " " < "$T/written")"
check "strace saw the layers written into the repository" grep -q "<$R/" "$T/writes"
assert_eq "no file outside the repository got 1 MB or more (largest: $(sort -n "$T/written" | tail -1))" \
	"$(awk '$1 >= 1048576' "$T/written")" ""
assert_fsck "$R" "after docker:test/multi"

# the seed's walkthrough: `atomic pull docker:etcd`
sc pull docker:etcd
assert_eq "docker:etcd: exit 0" "$rc" 0
assert_match "docker:etcd: the layers are those of multi, stored already" "$out" \
	"*Pulled docker.io/library/etcd:latest (IMAGE ID ${cfg:0:12}): 0 layers stored, 3 skipped, 0 B"
sc images list
assert_match "images list: etcd latest" "$out" "*
etcd * latest * ${cfg:0:12} *"
sc images info etcd
assert_match "images info etcd: its labels" "$out" "*org.example.fixture*multi*"

# installing straight from the engine, as the seed goes on to do: install
# pulls docker:etcd through the same stream, then checks it out
ROOT=$T/root
mkdir -p "$ROOT/usr/bin"
printf '#!/bin/sh\nexec %s --root %s "$@"\n' "$(command -v runc)" "$T/runc-state" > "$ROOT/usr/bin/runc"
chmod +x "$ROOT/usr/bin/runc"
ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic sc --root "$ROOT" install docker:etcd
assert_eq "install docker:etcd under --root: exit 0" "$rc" 0
assert_match "install docker:etcd: pulled from the engine, then extracted" "$out" \
	"*Pulled docker.io/library/etcd:latest (IMAGE ID ${cfg:0:12}): 3 layers stored, *
Extracting to /var/lib/containers/atomic/etcd.0*"
check "install docker:etcd: the checkout equals umoci's rootfs" \
	"$PY" "$top/tests/helpers/treecmp.py" "$fx/multi.rootfs" "$ROOT/var/lib/containers/atomic/etcd.0/rootfs"

# ---------------------------------------------------------------- several, one request
use_checkout "$T/co-two"
strace -f -qq -s 300 -e trace=connect,sendto,write -o "$T/two.trace" \
	"$SC" pull docker:test/multi docker:test/shared > "$T/.out" 2> "$T/.err"
rc=$? out=$(cat "$T/.out")
assert_eq "two docker: images: exit 0" "$rc" 0
assert_eq "two docker: images: one export request for both" \
	"$(grep -c 'GET /v[0-9.]*/images/get?names=docker.io%2Ftest%2Fmulti%3Alatest&names=docker.io%2Ftest%2Fshared%3Alatest ' "$T/two.trace")" 1
assert_eq "two docker: images: the layer they share passes once" \
	"$(echo "$out" | grep -c "${diffs[0]#sha256:}")" 1
assert_match "two docker: images: each result, then the summary" "$out" \
	"*Pulled docker.io/test/multi:latest (IMAGE ID ${cfg:0:12}): 3 layers stored, 0 skipped, *
Pulled docker.io/test/shared:latest (IMAGE ID ${scfg:0:12}): 1 layer stored, 1 skipped, *
Pulled 2 of 2 images"
same_as_registry "two docker: images: multi" multi docker.io/test/multi:latest
same_as_registry "two docker: images: shared" shared docker.io/test/shared:latest

# ---------------------------------------------------------------- refused
P="the Docker engine at '$ENGINE_SOCK'"
use_checkout "$T/co-nosuch"
sc pull docker:test/nosuch
assert_eq "no such image: exit 1" "$rc" 1
assert_match "no such image: one line, the engine's words" "$errout" \
	"syscontainer: pull docker:test/nosuch: $P: no such image docker.io/test/nosuch:latest (HTTP 404: *)"
unchanged "no such image"
sc pull docker:test/multi docker:test/nosuch
assert_eq "one of two missing: exit 1" "$rc" 1
assert_match "one of two missing: the other pulled, then the summary" "$out" \
	"*Pulled docker.io/test/multi:latest (IMAGE ID *
Pulled 1 of 2 images, 1 failed"
assert_match "one of two missing: its line" "$errout" \
	"syscontainer: pull docker:test/nosuch: $P: no such image docker.io/test/nosuch:latest (HTTP 404: *)"
assert_eq "one of two missing: only the other's image ref" "$(image_refs)" "$img"

# engine_fail DESC MESSAGE [ENV...]: pull docker:test/multi into a fresh
# repo with the environment given: one line, exit 1, refused.
engine_fail() {
	_d=$1 _m=$2
	shift 2
	use_checkout "$T/co-fail-$((++nfail))"
	env "$@" "$SC" pull docker:test/multi > "$T/.out" 2> "$T/.err"
	assert_eq "$_d: exit 1" "$?" 1
	assert_eq "$_d: one line" "$(cat "$T/.err")" "syscontainer: pull docker:test/multi: $_m"
	assert_eq "$_d: no ref at all" "$(refs)" ""
	[ -d "$R" ] && assert_fsck "$R" "$_d"
}
nfail=0
engine_fail "socket missing" "the Docker engine at '$T/nope.sock': connect: No such file or directory" \
	DOCKER_HOST="unix://$T/nope.sock"
engine_fail "DOCKER_HOST over TCP" "DOCKER_HOST: only unix:///PATH sockets are supported" \
	DOCKER_HOST=tcp://127.0.0.1:2375

# neither default socket: /run (and /var/run) hidden behind an empty tmpfs
use_checkout "$T/co-nodefault"
unshare -m -n sh -c 'mount -t tmpfs tmpfs /run; [ -L /var/run ] || mount -t tmpfs tmpfs /var/run
	exec env -u DOCKER_HOST "$0" pull docker:etcd' "$SC_REAL" > "$T/.out" 2> "$T/.err"
assert_eq "no DOCKER_HOST and no default socket: exit 1 and the line" "$?:$(cat "$T/.err")" \
	"1:syscontainer: pull docker:etcd: no Docker engine: neither /var/run/docker.sock nor /run/podman/podman.sock exists (set DOCKER_HOST=unix:///PATH)"

# the engine's socket is root's: another user is refused by the kernel
use_checkout "$T/co-nobody"
chmod 711 "$T"
mkdir -p "$T/co-nobody" && chown 65534:65534 "$T/co-nobody"
unshare -n setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$SC_REAL" pull docker:etcd > "$T/.out" 2> "$T/.err"
assert_eq "socket not ours: exit 1 and the line" "$?:$(cat "$T/.err")" \
	"1:syscontainer: pull docker:etcd: $P: connect: Permission denied (run as root)"
unchanged "socket not ours"

# what no real engine does, from engine.py
fake_engine "$T/old.sock" old-api && fake_engine "$T/web.sock" not-engine &&
	fake_engine "$T/bad.sock" serve "$fx/d25-bad.tar" && fake_engine "$T/endless.sock" endless "$fx/d25.tar" &&
	fake_engine "$T/cut.sock" truncated "$fx/d25.tar" || not_ok "start engine.py"
engine_fail "an engine too old" \
	"the Docker engine at '$T/old.sock': it speaks API version 1.12; syscontainer needs 1.24 or later" \
	DOCKER_HOST="unix://$T/old.sock"
engine_fail "a socket that is no engine" \
	"the Docker engine at '$T/web.sock': /_ping answered HTTP 404: not a Docker engine" \
	DOCKER_HOST="unix://$T/web.sock"
tampered=$(tar -xOf "$fx/d25-bad.tar" "blobs/sha256/${diffs[1]#sha256:}" | sha256 -)
engine_fail "a tampered layer" \
	"the Docker engine at '$T/bad.sock': layer ${diffs[1]:7:12}: blob digest mismatch: expected ${diffs[1]}, got sha256:$tampered" \
	DOCKER_HOST="unix://$T/bad.sock"
sc images prune
assert_eq "a tampered layer: the next prune takes what the stream left" "$rc:$(count_objects commit)" "0:0"
use_checkout "$T/co-endless"
DOCKER_HOST="unix://$T/endless.sock" sc pull --timeout 2 docker:test/multi
assert_eq "an archive that never ends: --timeout ends it" "$rc:$errout" \
	"1:syscontainer: pull docker:test/multi: the Docker engine at '$T/endless.sock': not finished after 2 s (--timeout)"
unchanged "an archive that never ends"
engine_fail "an archive cut off" \
	"the Docker engine at '$T/cut.sock': the response ended early" DOCKER_HOST="unix://$T/cut.sock"

done_testing

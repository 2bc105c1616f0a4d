#!/bin/bash
# images list|info|tag|delete|prune on images sharing layers: listings in
# text and JSON, template variables, tag, delete refusal for pinned images,
# prune output and what it frees; fsck clean after every step.
. "$(dirname "$0")/lib.sh"
R=$T/checkout/.storage/ostree
mkdir -p "$T/fx"
bash "$top/tests/fixtures/mkimage-umoci.sh" "$T/fx" > "$T/fx.log" 2>&1 || { cat "$T/fx.log"; exit 1; }

# An image with /exports: templates use a manifest default, built-ins and a
# variable nobody defines; a second layer whites out the tmpfiles template.
cat > "$T/spec.json" <<'SPEC'
{"config": {"config": {"Labels": {"vendor": "us"}}},
 "layers": [[{"path": "exports/", "dir": true},
             {"path": "exports/config.json.template", "data": "{\"x\": \"$FOO ${RUN_DIRECTORY} $$HOME\"}"},
             {"path": "exports/service.template", "data": "ExecStart=$EXEC_START $NEEDED\n"},
             {"path": "exports/tmpfiles.template", "data": "d $HIDDEN\n"},
             {"path": "exports/manifest.json", "data": "{\"defaultValues\": {\"FOO\": \"bar\"}}"}],
            [{"path": "exports/.wh.tmpfiles.template", "data": ""}]]}
SPEC
python3 "$top/tests/helpers/mkarchive.py" "$T/svc.tar" test/svc:1.0 "$T/spec.json"

sc images list
assert_eq "empty store: header only" "$out" "$(printf '%-30s %-12s %-14s %-17s %-14s %s' REPOSITORY TAG 'IMAGE ID' CREATED 'VIRTUAL SIZE' TYPE)"
check "empty store: nothing created" test ! -e "$R"

for f in multi shared svc; do
	sc --quiet pull "dockertar:$T/fx/$f.tar" 2>/dev/null
	[ -f "$T/fx/$f.tar" ] && assert_eq "pull $f" "$rc" 0
done
sc --quiet pull "dockertar:$T/svc.tar"
assert_eq "pull svc" "$rc" 0

cfg_digest() { python3 -c 'import json,sys,tarfile,hashlib
t=tarfile.open(sys.argv[1]); m=json.load(t.extractfile("manifest.json"))
print(hashlib.sha256(t.extractfile(m[0]["Config"]).read()).hexdigest())' "$1"; }
MID=$(cfg_digest "$T/fx/multi.tar"); SID=$(cfg_digest "$T/fx/shared.tar"); VID=$(cfg_digest "$T/svc.tar")

# The same image from a registry: its layers are already stored (by diff
# ID), so nothing is fetched again, and it lists as its own name.
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"
P=$(free_port)
if start_registry reg "$P" "$T/reg-data" && push "oci:$fx/oci:multi" "127.0.0.1:$P/test/multi:reg"; then
	sc pull --tls-verify=false "127.0.0.1:$P/test/multi:reg"
	assert_eq "pull from the registry: every layer already stored" \
		"$(echo "$out" | grep -c '^Skipping layer')" 3
	assert_eq "only the config blob fetched, no layer" "$(grep -c '"GET /v2/test/multi/blobs/' "$T/reg/log")" 1
else
	not_ok "start docker-registry and push multi"
fi

sc images list
echo "$out" | grep -q "^127.0.0.1:$P/test/multi " && ok "the registry image lists under its registry name" ||
	not_ok "the registry image lists under its registry name"
sc images delete "127.0.0.1:$P/test/multi:reg"
assert_eq "delete the registry name again" "$rc" 0
sc images list
lines=$(echo "$out" | tail -n +2 | awk '{print $1, $2, $3, $4, $5, $NF}')
assert_eq "list: sorted by name, IMAGE ID = config digest, CREATED from the config" "$lines" \
"test/multi latest ${MID:0:12} 2023-11-14 22:13 system
test/shared latest ${SID:0:12} 2023-11-14 22:13 system
test/svc 1.0 ${VID:0:12} 2024-01-02 03:04 system"
sc images list -q
assert_eq "list -q: IDs only" "$out" "${MID:0:12}
${SID:0:12}
${VID:0:12}"
sc images list -q --no-trunc
assert_match "list --no-trunc: full digests" "$out" "sha256:$MID*"
sc images list -a
assert_eq "list -a: every layer once (3 multi + 1 shared + 2 svc)" "$(echo "$out" | grep -c ' layer$')" 6
sc images list --json
assert_eq "list --json: names, full ids, sizes in bytes" "$(echo "$out" | python3 -c '
import json,sys; a=json.load(sys.stdin)
print(" ".join("%s=%s:%d:%d" % (x["name"], x["id"][7:19], x["size"] > 0, len(x["layers"])) for x in a))')" \
"docker.io/test/multi:latest=${MID:0:12}:1:3 docker.io/test/shared:latest=${SID:0:12}:1:2 docker.io/test/svc:1.0=${VID:0:12}:1:2"
size=$(echo "$out" | python3 -c 'import json,sys; print([x["size"] for x in json.load(sys.stdin) if x["name"].endswith("multi:latest")][0])')
want=$(python3 -c 'import json,sys,tarfile
t=tarfile.open(sys.argv[1]); m=json.load(t.extractfile("manifest.json"))
print(sum(t.getmember(l).size for l in m[0]["Layers"]))' "$T/fx/multi.tar")
assert_eq "VIRTUAL SIZE is the sum of uncompressed layer sizes" "$size" "$want"

sc images info test/svc:1.0
assert_match "info: labels" "$out" "*vendor=us*"
assert_match "info: manifest default" "$out" "*Template variables with a default:*FOO=bar*"
assert_match "info: built-ins have defaults" "$out" "*RUN_DIRECTORY (built-in)*EXEC_START (built-in)*"
assert_eq "info: only NEEDED must be given (tmpfiles template whited out, \$\$HOME literal)" \
	"$(echo "$out" | sed -n '/to give with --set/,/^[A-Z]/p' | sed '1d;$d')" "  NEEDED"
sc images info --json "${VID:0:8}"
assert_eq "info --json by IMAGE ID prefix" "$(echo "$out" | python3 -c '
import json,sys; x=json.load(sys.stdin); print(x["id"][7:], x["defaults"]["FOO"], x["required"])')" "$VID bar ['NEEDED']"

sc images tag test/multi test/multi:v2
assert_eq "tag: exit 0" "$rc" 0
sc images list -q
assert_eq "tag: a second name for the same image" "$(echo "$out" | grep -c "${MID:0:12}")" 2

expect_fail "unknown image" 1 "syscontainer: images info nosuch: no such image" images info nosuch
expect_fail "malformed reference" 2 "syscontainer: images delete: invalid image reference 'Bad/Name': repository name must be lowercase" images delete Bad/Name
sc images delete "${MID:0:2}"
assert_eq "too-short ID prefix is a name, not an ID: not found" "$rc" 1

# A pin of an installed container protects its image from delete without -f.
mcommit=$(ostree rev-parse --repo="$R" ociimage/docker.io_2Ftest_2Fmulti_3Alatest)
ostree refs --repo="$R" --create=syscontainer/deploy/web.0 "$mcommit" >/dev/null
expect_fail "delete refused while a container uses the image" 1 \
	"syscontainer: images delete test/multi: used by installed container web (uninstall it, or use -f)" \
	images delete test/multi
sc images delete -f test/multi
assert_eq "delete -f" "$rc" 0
expect_fail "delete by ID is refused too while pinned" 1 \
	"syscontainer: images delete ${MID:0:12}: used by installed container web (uninstall it, or use -f)" \
	images delete "${MID:0:12}"
sc images delete -f "${MID:0:12}"
assert_eq "delete -f by ID removes the remaining tag" "$rc" 0
sc images list -q
assert_eq "only shared and svc remain" "$out" "${SID:0:12}
${VID:0:12}"
assert_fsck "$R" "after delete"

# Prune keeps the layers the pin needs; a foreign ref and its objects stay.
mkdir -p "$T/foreign" && echo foreign > "$T/foreign/f"
ostree commit --repo="$R" -b other/ref --tree=dir="$T/foreign" >/dev/null 2>&1
sc images delete test/svc:1.0
sc images prune
svc_layers=$(python3 -c 'import json,sys,tarfile
t=tarfile.open(sys.argv[1]); m=json.load(t.extractfile("manifest.json"))
print("\n".join("Deleting ociimage/" + l[:-4] for l in m[0]["Layers"]))' "$T/svc.tar" | sort)
assert_eq "prune: only svc's two layers go; the pin keeps multi's" \
	"$(echo "$out" | grep '^Deleting' | sort)" "$svc_layers"
check "prune: the foreign ref stays" sh -c "ostree rev-parse --repo='$R' other/ref >/dev/null"
check "prune: foreign objects stay" sh -c "ostree cat --repo='$R' other/ref /f | grep -q foreign"
assert_fsck "$R" "after prune"

du_before=$(du -sk "$R/objects" | cut -f1)
ostree refs --repo="$R" --delete syscontainer/deploy/web.0
sc images delete test/shared
sc images prune
assert_eq "prune after deleting every image: exit 0" "$rc" 0
assert_eq "prune: every remaining layer deleted (multi's 3, shared's own)" "$(echo "$out" | grep -c "^Deleting ociimage/")" 4
du_after=$(du -sk "$R/objects" | cut -f1)
check "prune frees space ($du_before kB -> $du_after kB)" [ "$du_after" -lt "$du_before" ]
# The freed bytes it reports are the objects' sizes; du counts blocks, so
# they agree within block rounding (a factor of 2 for these small files).
freed=$(echo "$out" | sed -n 's/.* objects, \(.*\) freed$/\1/p' | python3 -c '
import sys; v, u = sys.stdin.read().split(); print(int(float(v) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[u] / 1024))')
check "reported freed ${freed} KiB ~ du's $((du_before - du_after)) KiB" \
	python3 -c "import sys; f, d = $freed, $((du_before - du_after)); sys.exit(not (d / 2 <= f <= d * 2))"
assert_eq "no ociimage refs left" "$(ostree refs --repo="$R" | grep -c ociimage/)" 0
assert_fsck "$R" "after the last prune"
# The repository lock: a holder makes prune wait, say so, and give up at its
# deadline with a one-line error.
python3 - "$R/.lock" "$T/locked" <<'PY' & holder=$!
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
# struct flock: l_type, l_whence, l_start, l_len, l_pid (0 for OFD locks)
fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack("hhqqi4x", fcntl.F_RDLCK, 0, 0, 0, 0))
open(sys.argv[2], "w").close()
time.sleep(20)
PY
track_pid $holder
for i in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.1; done
SYSCONTAINER_LOCK_TIMEOUT=1 sc images prune
assert_eq "prune while another process holds the lock: exit 1" "$rc" 1
assert_eq "prune says it waits, then gives up naming the lock" "$errout" "syscontainer: waiting for the repository lock on '$R' (up to 1 s)
syscontainer: images prune: repository '$R': exclusive lock still busy after 1 s"
kill $holder 2>/dev/null; wait $holder 2>/dev/null

# Prune racing pulls (bounded): pulls never fail, and every image ref left
# has all its layers.
fails=0
for i in 1 2 3 4 5; do
	"$SC" --quiet pull "dockertar:$T/fx/multi.tar" > /dev/null 2>"$T/pull.err" & p=$!
	"$SC" images delete -f test/multi >/dev/null 2>&1
	"$SC" images prune > /dev/null 2>"$T/prune.err" || fails=$((fails + 1))
	wait $p || { fails=$((fails + 1)); cat "$T/pull.err"; }
done
assert_eq "5 pulls racing delete+prune all succeed" "$fails" 0
sc --quiet pull "dockertar:$T/fx/multi.tar"
sc images info --json test/multi
for d in $(echo "$out" | python3 -c 'import json,sys; print(" ".join(l[7:] for l in json.load(sys.stdin)["layers"]))'); do
	check "layer $d present after the race" sh -c "ostree rev-parse --repo='$R' ociimage/$d >/dev/null"
done
assert_fsck "$R" "after the race"
done_testing

#!/bin/bash
# Issue 3 at scale, without a network: a layer of 20,000 files imports whole
# and fsck clean, and a 200 MiB file imports with peak memory far below its
# size (memory stays bounded whatever the layer size), its
# contents intact.  The 1 GB case belongs to the benchmark.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"

offline
BIG_MB=200
RSS_LIMIT_KB=$((64 * 1024))
if ! build_hostile --big-mb $BIG_MB many-entries big-file; then
	not_ok "build the fixtures (hostile.py)"
	done_testing
	exit 1
fi

# ---------------------------------------------------------------- 20,000 entries
use_checkout "$T/co-many"
mapfile -t md < <(info "$fx/many-entries.info" 'd["images"][0]["diff_ids"]')
cfg=$(info "$fx/many-entries.info" 'd["images"][0]["config"]')
sc pull "dockertar:$fx/many-entries.tar"
assert_eq "many-entries: exit 0" "$rc" 0
assert_match "many-entries: output" "$out" "Pulling layer ${md[0]#sha256:}
Stored layer ${md[0]:7:12}: *
Pulled docker.io/test/many-entries:latest (IMAGE ID ${cfg:7:12}): 1 layer stored, 0 skipped, [0-9]*B"
lr=ociimage/${md[0]#sha256:}
ostree ls --repo="$R" -R "$lr" > "$T/ls" 2> "$T/ls.err"
assert_eq "many-entries: ostree ls -R works" "$(cat "$T/ls.err")" ""
assert_eq "many-entries: 20,000 regular files" "$(grep -c '^-' "$T/ls")" 20000
assert_eq "many-entries: 100 directories and the root" "$(grep -c '^d' "$T/ls")" 101
assert_eq "many-entries: nothing else" "$(wc -l < "$T/ls" | tr -d ' ')" 20101
assert_match "many-entries: a file where the fixture put it" "$(grep ' /d42/f137$' "$T/ls")" "-00644 0 0 * /d42/f137"
assert_eq "many-entries: its contents" "$(ostree cat --repo="$R" "$lr" /d42/f137 2>&1)" "file $((42 * 200 + 137))"
# files with i % 4 == 0 share one content: 5,000 share one object, 15,000
# are distinct, so 15,001 file objects
assert_eq "many-entries: identical files stored once (15,001 file objects)" "$(count_objects file)" 15001
assert_fsck "$R" "after many-entries"

# ---------------------------------------------------------------- 200 MiB file
use_checkout "$T/co-big"
mapfile -t bd < <(info "$fx/big-file.info" 'd["images"][0]["diff_ids"]')
# the file's digest, computed from the layer the archive holds
layer=$(info "$fx/big-file.info" 'd["images"][0]["manifest_layers"][0]')
want=$(tar -xOf "$fx/big-file.tar" "$layer" | gzip -dc | tar -xOf - big | sha256 -)
if [ -x /usr/bin/time ]; then
	/usr/bin/time -f %M -o "$T/rss" "$SC" pull "dockertar:$fx/big-file.tar" > "$T/.out" 2> "$T/.err"
	rc=$?
	assert_eq "big-file: exit 0" "$rc" 0
	assert_eq "big-file: nothing on stderr" "$(cat "$T/.err")" ""
	rss=$(tail -1 "$T/rss")
	note "big-file: peak RSS ${rss} KiB for a ${BIG_MB} MiB file"
	if [ -n "${SANITIZE:-}" ]; then
		skip "peak RSS is the release build's promise, not SANITIZE=1's"
	else
		check "big-file: peak RSS ${rss} KiB < ${RSS_LIMIT_KB} KiB (file: $((BIG_MB * 1024)) KiB)" \
			test "$rss" -lt "$RSS_LIMIT_KB"
	fi
else
	skip_or_fail "/usr/bin/time (Debian package time) is not installed"
	sc pull "dockertar:$fx/big-file.tar"
	assert_eq "big-file: exit 0" "$rc" 0
fi
lr=ociimage/${bd[0]#sha256:}
assert_match "big-file: stored with its size" "$(ostree ls --repo="$R" "$lr" /big 2>&1)" \
	"-00644 0 0 $((BIG_MB * 1024 * 1024)) /big"
assert_eq "big-file: contents intact (sha256 of ostree cat)" \
	"$(ostree cat --repo="$R" "$lr" /big 2> /dev/null | sha256 -)" "$want"
rm -rf "$T/root-big"
if ostree checkout --repo="$R" "$lr" "$T/root-big" 2> /dev/null; then
	assert_eq "big-file: checked-out file's sha256" "$(sha256 "$T/root-big/big")" "$want"
else
	not_ok "big-file: ostree checkout"
fi
assert_fsck "$R" "after big-file"

done_testing

#!/bin/bash
# Issue 3: hostile and broken archives, without a network.  Each is refused
# with exit 1 and exactly one line on stderr naming the object and the cause;
# afterwards the repo is "unchanged" as README defines it: no new or
# changed image ref, `ostree fsck` clean, and the only refs left are layer
# refs of layers that came before the bad one and were fully verified (the
# next pull reuses them); no staging data is left in repo/tmp (issue 11).
# A good pull into the same repo then works.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"

offline
cases="dotdot dotdot2 hardlink-escape hardlink-forward nonutf8 nonutf8-link pax-huge sparse
	sparse-pax truncated-gzip truncated-tar wrong-diffid swapped-layer no-manifest not-a-tar
	archive-symlink-escape"
# shellcheck disable=SC2086
if ! build_hostile $cases gzip-layer; then
	not_ok "build the fixtures (hostile.py)"
	done_testing
	exit 1
fi
GOOD=$fx/gzip-layer.tar

# bad_layer CASE: 1-based index of the layer the case breaks, 0 when the
# archive itself is refused before any layer is read.
bad_layer() {
	case $1 in
	no-manifest | not-a-tar | archive-symlink-escape | missing) echo 0 ;;
	*) echo 2 ;;
	esac
}

# message CASE: the one line the pull must print.  $A is the archive, $D1
# the diff ID the config lists for layer 2 (hex), $LAY the intact layer's.
message() {
	p="syscontainer: pull dockertar:$A"
	l="$p: layer ${D1:0:12}"
	case $1 in
	dotdot)           echo "$l: entry '../x': path escapes the layer root" ;;
	dotdot2)          echo "$l: entry 'a/../../x': path escapes the layer root" ;;
	hardlink-escape)  echo "$l: entry 'evil': hardlink target '../../etc/passwd': path escapes the layer root" ;;
	hardlink-forward) echo "$l: entry 'b': hardlink to 'a', which is not a file earlier in this layer" ;;
	nonutf8)          printf '%s\n' "$l: entry 'bad\\xff': name is not valid UTF-8" ;;
	nonutf8-link)     echo "$l: entry 'link': link target is not valid UTF-8" ;;
	# 10^12 claimed; the stream holds 4096 bytes of data and the 1024-byte end
	pax-huge)         echo "$l: truncated tar: entry 'huge' ends 999999994880 bytes early" ;;
	sparse)           echo "$l: entry 'sparse': GNU sparse files are not supported" ;;
	sparse-pax)       echo "$l: entry 'GNUSparseFile.0/sparse': GNU sparse files are not supported" ;;
	truncated-gzip)   echo "$l: truncated gzip stream" ;;
	# payload/f1 is 65536 bytes; the file is cut 1000 bytes into its data
	truncated-tar)    echo "$l: truncated tar: entry 'payload/f1' ends 64536 bytes early" ;;
	wrong-diffid | swapped-layer)
		echo "$l: diff ID mismatch: the config says sha256:$D1, the layer is sha256:$ACTUAL" ;;
	no-manifest)      echo "$p: '$A': no manifest.json: not a docker save archive" ;;
	# a block of random bytes has no entry name worth printing
	not-a-tar)        echo "$p: '$A': not a readable tar archive: tar stream: header checksum mismatch at offset 0" ;;
	# layers are counted from 1, as everywhere a user reads them
	archive-symlink-escape)
		echo "$p: '$A': manifest.json: layer 2: 'escape/layer.tar' is a symlink out of the archive" ;;
	missing)          echo "$p: open '$A': No such file or directory" ;;
	esac
}

# allowed_refs CASE: the layer refs a failed pull may leave (sorted).
allowed_refs() {
	n=$(bad_layer "$1")
	i=1
	for d in "${DIFFS[@]}"; do
		[ "$i" -lt "$n" ] && echo "ociimage/${d#sha256:}"
		i=$((i + 1))
	done | sort
}

mapfile -t good_diffs < <(info "$fx/gzip-layer.info" 'd["images"][0]["diff_ids"]')
good_ref=$(image_ref docker.io/test/gzip-layer:latest)

for c in $cases missing; do
	use_checkout "$T/co-$c"
	A=$fx/$c.tar D1='' ACTUAL='' DIFFS=()
	if [ "$c" = missing ]; then
		A=$T/no-such-archive.tar
	elif [ "$c" != not-a-tar ]; then
		mapfile -t DIFFS < <(info "$fx/$c.info" 'd["images"][0]["diff_ids"]')
		D1=${DIFFS[1]#sha256:}
		ACTUAL=$(info "$fx/$c.info" 'd["images"][0]["layers"][1]["actual_digest"]')
		ACTUAL=${ACTUAL#sha256:}
	fi
	expect_fail "$c" 1 "$(message "$c")" pull "dockertar:$A"
	assert_eq "$c: no image ref" "$(image_refs)" ""
	assert_eq "$c: no ref but verified layer refs of earlier layers" \
		"$(comm -23 <(refs) <(allowed_refs "$c"))" ""
	kept=$(rev "ociimage/${good_diffs[0]#sha256:}")
	[ -n "$D1" ] && check "$c: no ref for the refused layer's diff ID" test -z "$(rev "ociimage/$D1")"
	assert_eq "$c: no staging data left" "$(ls -A "$R/tmp" 2> /dev/null | grep -vx cache)" ""
	assert_fsck "$R" "after $c"

	sc pull "dockertar:$GOOD"
	assert_eq "$c: a good pull into the same repo then works" "$rc" 0
	check "$c: ... and writes its image ref" test -n "$(rev "$good_ref")"
	if [ -n "$kept" ]; then
		assert_match "$c: ... reusing the verified layer the failed pull left" "$out" \
			"Skipping layer ${good_diffs[0]#sha256:}: already present*"
	fi
	assert_fsck "$R" "after $c and a good pull"
done

# The escaping symlink is resolved inside the archive's index only: the
# host file it names is never even opened.
if command -v strace > /dev/null; then
	use_checkout "$T/co-escape-trace"
	NS=
	unshare -n true 2> /dev/null && NS="unshare -n"
	# shellcheck disable=SC2086
	$NS strace -f -e trace=open,openat,openat2 -o "$T/escape.trace" \
		"$SC_REAL" pull "dockertar:$fx/archive-symlink-escape.tar" > /dev/null 2>&1
	assert_eq "archive-symlink-escape: refused under strace too" "$?" 1
	assert_eq "archive-symlink-escape: the host's /etc/hostname is never opened" \
		"$(grep -c 'etc/hostname' "$T/escape.trace")" 0
	check "archive-symlink-escape: the trace saw the archive opened" grep -q 'archive-symlink-escape.tar' "$T/escape.trace"
else
	skip_or_fail "strace is not installed"
fi

# A failed pull of a name that already has an image leaves that image ref as
# it was: the archives below carry the good image's name.
use_checkout "$T/co-victim"
retag "$GOOD" test/victim:latest "$T/victim.tar"
sc pull "dockertar:$T/victim.tar"
assert_eq "victim: the good image pulls" "$rc" 0
victim=$(image_ref docker.io/test/victim:latest)
before=$(rev "$victim")
check "victim: image ref written" test -n "$before"
for c in dotdot wrong-diffid swapped-layer truncated-gzip; do
	retag "$fx/$c.tar" test/victim:latest "$T/victim-$c.tar"
	sc pull "dockertar:$T/victim-$c.tar"
	assert_eq "victim $c: refused" "$rc" 1
	assert_eq "victim $c: the existing image ref is unchanged" "$(rev "$victim")" "$before"
	assert_eq "victim $c: no other image ref" "$(image_refs)" "$victim"
done
assert_fsck "$R" "after the failed updates"

done_testing

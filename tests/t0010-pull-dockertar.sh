#!/bin/bash
# Issue 3: `pull dockertar:` / `docker-archive:` of archives made by real
# producers (umoci + skopeo) and of the odd-but-legal hand-written ones, all
# without a network.  What the pull stored is read back only through the
# system's ostree CLI: refs and metadata as README's "OSTree layout" says,
# the layers checked out in order (whiteouts applied by an independent
# helper) equal to umoci's own unpack, identical files stored once, and a
# second import storing nothing.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"

offline
if ! build_umoci || ! build_hostile opaque abs device multi-image no-repotags \
	symlinked-layer multimember-gzip gzip-layer; then
	not_ok "build the fixtures (mkimage-umoci.sh, hostile.py)"
	done_testing
	exit 1
fi
use_checkout "$T/checkout"

# ---------------------------------------------------------------- multi.tar
A=$fx/multi.tar
mapfile -t diffs < <(diff_ids "$A")
cfg_hex=$(archive_config "$A" | sha256 -)
assert_eq "fixture: multi has 3 layers" "${#diffs[@]}" 3
assert_eq "fixture: the config file is named by its digest" \
	"$(archive_json "$A" manifest.json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["Config"])')" \
	"$cfg_hex.json"

sc pull "dockertar:$A"
assert_eq "pull multi: exit 0" "$rc" 0
assert_eq "pull multi: nothing on stderr" "$errout" ""
expected=
for d in "${diffs[@]}"; do expected="${expected}Pulling layer ${d#sha256:}
Stored layer ${d:7:12}: *
"; done
assert_match "pull multi: one line per layer in order, then the summary with the IMAGE ID" "$out" \
	"${expected}Pulled docker.io/test/multi:latest (IMAGE ID ${cfg_hex:0:12}): 3 layers stored, 0 skipped, [0-9]*B"

img=ociimage/docker.io_2Ftest_2Fmulti_3Alatest
assert_eq "image ref encoded as README shows" "$(image_ref docker.io/test/multi:latest)" "$img"
want_refs=$( (for d in "${diffs[@]}"; do echo "ociimage/${d#sha256:}"; done; echo "$img") | sort)
assert_eq "refs: one per diff ID and the image's, nothing else (the layers were not compressed)" \
	"$(refs)" "$want_refs"

# layer commits: metadata as skopeo's keys, synthesised parents recorded
i=0
for d in "${diffs[@]}"; do
	i=$((i + 1))
	h=${d#sha256:}
	lr=ociimage/$h
	tar -xOf "$A" "$h.tar" > "$T/layer.tar" 2> /dev/null ||
		tar -xOf "$A" "$(archive_json "$A" manifest.json | "$PY" -c "import json,sys; print(json.load(sys.stdin)[0]['Layers'][$((i - 1))])")" > "$T/layer.tar"
	assert_eq "layer $i: the archive's layer file is the diff ID's" "sha256:$(sha256 "$T/layer.tar")" "$d"
	size=$(stat -c %s "$T/layer.tar")
	assert_eq "layer $i: docker.uncompressed_digest" "$(meta_str "$lr" docker.uncompressed_digest)" "$d"
	assert_eq "layer $i: docker.uncompressed_size" "$(meta_str "$lr" docker.uncompressed_size)" "$size"
	assert_eq "layer $i: docker.size (stored uncompressed)" "$(meta_str "$lr" docker.size)" "$size"
	check "layer $i: no docker.digest (the archive stored it uncompressed)" \
		sh -c "! ostree show --repo='$R' --print-metadata-key=docker.digest '$lr' > /dev/null 2>&1"
	assert_eq "layer $i: syscontainer.synthesized-dirs = the parents the tar omits" \
		"$(meta_list "$lr" syscontainer.synthesized-dirs)" "$(omitted_dirs < "$T/layer.tar")"
done
assert_eq "layer 2 omits etc/ and layer 3 data/ (the fixture exercises synthesis)" \
	"$(meta_list "ociimage/${diffs[1]#sha256:}" syscontainer.synthesized-dirs) $(meta_list "ociimage/${diffs[2]#sha256:}" syscontainer.synthesized-dirs)" \
	"etc data"

# whiteouts are stored as plain files in the layer commit
l2=ociimage/${diffs[1]#sha256:}
for w in /etc/.wh.removeme /opt/.wh.gone; do
	assert_match "layer 2 stores the whiteout $w as a regular file" \
		"$(ostree ls --repo="$R" "$l2" "$w" 2>&1)" "-00* $w"
done

# image commit
assert_eq "image: syscontainer.name" "$(meta_str "$img" syscontainer.name)" docker.io/test/multi:latest
assert_match "image: syscontainer.source names the archive" "$(meta_str "$img" syscontainer.source)" "*:$A"
meta_str "$img" syscontainer.config > "$T/config.got"
archive_config "$A" > "$T/config.want"
check "image: syscontainer.config is the archive's config, byte for byte" cmp -s "$T/config.got" "$T/config.want"
meta_str "$img" docker.manifest > "$T/manifest.got"
assert_eq "image: docker.digest is the digest of docker.manifest" \
	"$(meta_str "$img" docker.digest)" "sha256:$(sha256 "$T/manifest.got")"
assert_eq "image: docker.manifest names the config digest (= IMAGE ID)" \
	"$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["config"]["digest"])' "$T/manifest.got")" \
	"sha256:$cfg_hex"
assert_eq "image: docker.manifest lists the layers in order" \
	"$("$PY" -c 'import json,sys; print(*[l["digest"] for l in json.load(open(sys.argv[1]))["layers"]])' "$T/manifest.got")" \
	"${diffs[*]}"

# the layers, checked out in order with whiteouts, are umoci's rootfs
layer_refs=()
for d in "${diffs[@]}"; do layer_refs+=("ociimage/${d#sha256:}"); done
if rootfs "$T/root-multi" "${layer_refs[@]}"; then
	assert_tree "multi: layers checked out in order equal umoci unpack (types, modes incl. setuid/setgid/sticky, owners, sizes, sha256, link targets, xattrs, hardlinks)" \
		"$fx/multi.rootfs" "$T/root-multi"
else
	not_ok "multi: check out the layers with ostree"
fi
check "multi: hardlink-a and hardlink-b are one inode" \
	test "$(stat -c %i "$T/root-multi/data/hardlink-a" 2> /dev/null)" = "$(stat -c %i "$T/root-multi/data/hardlink-b" 2> /dev/null)"
assert_fsck "$R" "after pulling multi"

# identical files are stored once: one file object per distinct checksum
distinct_files() {
	for r in "$@"; do ostree ls --repo="$R" -R -C "$r"; done | awk '$1 !~ /^d/ {print $5}' | sort -u
}
assert_eq "multi: one file object per distinct file checksum across its layers" \
	"$(count_objects file)" "$(distinct_files "${layer_refs[@]}" | wc -l | tr -d ' ')"

# ---------------------------------------------------------------- shared.tar
S=$fx/shared.tar
mapfile -t sdiffs < <(diff_ids "$S")
scfg=$(archive_config "$S" | sha256 -)
assert_eq "fixture: shared's layer 1 is multi's layer 1" "${sdiffs[0]}" "${diffs[0]}"
rev_l1=$(rev "ociimage/${diffs[0]#sha256:}")
objects > "$T/objects.before"
sc pull "dockertar:$S"
assert_eq "pull shared: exit 0" "$rc" 0
assert_match "pull shared: layer 1 skipped, layer 2 pulled" "$out" \
	"Skipping layer ${sdiffs[0]#sha256:}: already present
Pulling layer ${sdiffs[1]#sha256:}
Stored layer ${sdiffs[1]:7:12}: *
Pulled docker.io/test/shared:latest (IMAGE ID ${scfg:0:12}): 1 layer stored, 1 skipped, [0-9]*B"
assert_eq "pull shared: the shared layer's commit is untouched" "$(rev "ociimage/${diffs[0]#sha256:}")" "$rev_l1"
objects > "$T/objects.after"
comm -13 "$T/objects.before" "$T/objects.after" > "$T/objects.new"
sl2=ociimage/${sdiffs[1]#sha256:}
# the new layer's file checksums that were not in the repo before
distinct_files "$sl2" | while read -r c; do
	grep -q "^${c:0:2}/${c:2}\.file$" "$T/objects.before" || echo "${c:0:2}/${c:2}.file"
done | sort > "$T/files.want"
check "pull shared: the new layer brings new file objects" test -s "$T/files.want"
assert_eq "pull shared: the only new file objects are the new layer's new files" \
	"$(grep '\.file$' "$T/objects.new")" "$(cat "$T/files.want")"
assert_eq "pull shared: two new commits (its top layer and the image)" \
	"$(grep -c '\.commit$' "$T/objects.new")" 2
assert_eq "pull shared: nothing was removed" "$(comm -23 "$T/objects.before" "$T/objects.after")" ""
if rootfs "$T/root-shared" "ociimage/${sdiffs[0]#sha256:}" "$sl2"; then
	assert_tree "shared: layers checked out equal umoci unpack" "$fx/shared.rootfs" "$T/root-shared"
else
	not_ok "shared: check out the layers with ostree"
fi
assert_fsck "$R" "after pulling shared"

# ---------------------------------------------------------------- re-import
# An unchanged image writes nothing (README, Design, "Disk space"):
# appliances pull on every boot, onto flash.  t0061 checks every file.
objects > "$T/objects.before"
for r in "${layer_refs[@]}" "$img"; do rev "$r"; done > "$T/revs.before"
sc pull "dockertar:$A"
assert_eq "re-pull multi: exit 0" "$rc" 0
expected=
for d in "${diffs[@]}"; do expected="${expected}Skipping layer ${d#sha256:}: already present
"; done
assert_eq "re-pull multi: every layer skipped, the image up to date" "$out" \
	"${expected}Image is up to date for docker.io/test/multi:latest (IMAGE ID ${cfg_hex:0:12})"
objects > "$T/objects.after"
assert_eq "re-pull multi: no new object, not even a commit" \
	"$(comm -13 "$T/objects.before" "$T/objects.after")" ""
assert_eq "re-pull multi: layer and image refs unchanged" \
	"$(for r in "${layer_refs[@]}" "$img"; do rev "$r"; done)" "$(cat "$T/revs.before")"
assert_eq "re-pull multi: the image commit still names the same config" \
	"$(meta_str "$img" syscontainer.config | sha256 -)" "$cfg_hex"
assert_fsck "$R" "after the re-pull"

sc --quiet pull "dockertar:$A"
assert_eq "--quiet: exit 0" "$rc" 0
assert_eq "--quiet: nothing but errors" "$out$errout" ""

# ---------------------------------------------------------------- explicit names
use_checkout "$T/co-named"
sc pull "docker-archive:$A:test/multi:latest"
assert_eq "docker-archive:FILE:NAME:TAG: exit 0" "$rc" 0
assert_match "docker-archive:FILE:NAME:TAG: same image" "$out" \
	"*Pulled docker.io/test/multi:latest (IMAGE ID ${cfg_hex:0:12}): 3 layers stored, 0 skipped, *"
check "docker-archive:FILE:NAME:TAG: image ref written" test -n "$(rev "$img")"
expect_fail "docker-archive: a name the archive does not hold" 1 \
	"syscontainer: pull docker-archive:$A:test/other: '$A': manifest.json: no image named docker.io/test/other:latest in the archive; it holds: docker.io/test/multi:latest" \
	pull "docker-archive:$A:test/other"
assert_eq "docker-archive: unknown name writes no image ref" "$(image_refs)" "$img"

# usage errors: exit 2 and one line, "syscontainer: VERB: message"
for bad in "dockertar:" "docker-archive:"; do
	expect_fail "pull '$bad': usage error" 2 \
		"syscontainer: pull: invalid image reference '$bad': missing path after '$bad'" \
		pull "$bad"
done

# ---------------------------------------------------------------- hand-written, accepted
use_checkout "$T/co-hostile"

# opaque whiteout: layer 2 empties dir/ of layer 1's a, sub/b and adds new
mapfile -t od < <(info "$fx/opaque.info" 'd["images"][0]["diff_ids"]')
sc pull "dockertar:$fx/opaque.tar"
assert_eq "opaque: exit 0 (both layers padded to a 10240-byte record, inside the diff ID)" "$rc" 0
assert_match "opaque: image ref" "$(image_refs)" "*$(image_ref docker.io/test/opaque:latest)*"
assert_match "opaque: the marker is a plain file in layer 2" \
	"$(ostree ls --repo="$R" "ociimage/${od[1]#sha256:}" /dir/.wh..wh..opq 2>&1)" "-00* /dir/.wh..wh..opq"
if rootfs "$T/root-opaque" "ociimage/${od[0]#sha256:}" "ociimage/${od[1]#sha256:}"; then
	assert_eq "opaque: dir/ holds only new; keep/c stays" \
		"$(cd "$T/root-opaque" && find . | sort | tr '\n' ' ')" ". ./dir ./dir/new ./keep ./keep/c "
else
	not_ok "opaque: check out the layers with ostree"
fi

# multi-image archive: a name is needed, and picks the image
MI=$fx/multi-image.tar
expect_fail "multi-image without a name: lists every name" 1 \
	"syscontainer: pull dockertar:$MI: '$MI': manifest.json: the archive holds 2 images (docker.io/test/one:latest, docker.io/test/two:latest, docker.io/test/two:v2): name one as docker-archive:FILE:NAME[:TAG]" \
	pull "dockertar:$MI"
assert_eq "multi-image without a name: no image ref" "$(image_refs | grep -c test_2Fone)" 0
for pick in 0:test/one:latest:one 1:test/two:v2:two; do
	idx=${pick%%:*} rest=${pick#*:} name=${pick#*:} name=${name%:*} which=${rest##*:}
	cfg=$(info "$fx/multi-image.info" "d['images'][$idx]['config']")
	mapfile -t md < <(info "$fx/multi-image.info" "d['images'][$idx]['diff_ids']")
	sc pull "docker-archive:$MI:$name"
	assert_eq "multi-image $name: exit 0" "$rc" 0
	assert_match "multi-image $name: that image's IMAGE ID" "$out" \
		"*Pulled docker.io/$name (IMAGE ID ${cfg:7:12}): *"
	check "multi-image $name: its image ref" test -n "$(rev "$(image_ref "docker.io/$name")")"
	rm -rf "$T/root-mi"
	rootfs "$T/root-mi" "ociimage/${md[0]#sha256:}" "ociimage/${md[1]#sha256:}"
	assert_eq "multi-image $name: its own top layer" "$(cat "$T/root-mi/which" 2>&1)" "$which"
done

# no RepoTags: the name comes from the legacy repositories file
cfg=$(info "$fx/no-repotags.info" 'd["images"][0]["config"]')
sc pull "dockertar:$fx/no-repotags.tar"
assert_eq "no-repotags: exit 0" "$rc" 0
assert_match "no-repotags: named from the repositories file" "$out" \
	"*Pulled docker.io/test/legacy:latest (IMAGE ID ${cfg:7:12}): *"
check "no-repotags: image ref docker.io/test/legacy:latest" test -n "$(rev "$(image_ref docker.io/test/legacy:latest)")"

# layers that are symlinks inside the archive (old docker save), one chained
mapfile -t sd < <(info "$fx/symlinked-layer.info" 'd["images"][0]["diff_ids"]')
use_checkout "$T/co-symlinked"
sc pull "dockertar:$fx/symlinked-layer.tar"
assert_eq "symlinked-layer: exit 0" "$rc" 0
assert_match "symlinked-layer: layer 3 repeats layer 2 and is skipped" "$out" \
	"Pulling layer ${sd[0]#sha256:}
Stored layer ${sd[0]:7:12}: *
Pulling layer ${sd[1]#sha256:}
Stored layer ${sd[1]:7:12}: *
Skipping layer ${sd[2]#sha256:}: already present
Pulled docker.io/test/symlinked-layer:latest (IMAGE ID *): 2 layers stored, 1 skipped, *"
assert_fsck "$R" "after symlinked-layer"

# gzip layers: alias ref by the compressed digest, metadata of both digests,
# contents equal to GNU tar's extraction of the same layer files
for c in gzip-layer multimember-gzip; do
	use_checkout "$T/co-$c"
	mapfile -t gd < <(info "$fx/$c.info" 'd["images"][0]["diff_ids"]')
	mapfile -t files < <(info "$fx/$c.info" 'd["images"][0]["manifest_layers"]')
	blob=$(info "$fx/$c.info" 'd["images"][0]["layers"][1]["file_digest"]')
	bsize=$(info "$fx/$c.info" 'd["images"][0]["layers"][1]["size"]')
	check "$c: fixture layer 2 is gzip" test "$(info "$fx/$c.info" 'd["images"][0]["layers"][1]["gzip"]')" = True
	sc pull "dockertar:$fx/$c.tar"
	assert_eq "$c: exit 0" "$rc" 0
	lr=ociimage/${gd[1]#sha256:}
	check "$c: primary ref by diff ID" test -n "$(rev "$lr")"
	assert_eq "$c: alias ref by the compressed digest names the same commit" \
		"$(rev "ociimage/${blob#sha256:}")" "$(rev "$lr")"
	assert_eq "$c: docker.digest" "$(meta_str "$lr" docker.digest)" "$blob"
	assert_eq "$c: docker.size (compressed)" "$(meta_str "$lr" docker.size)" "$bsize"
	assert_eq "$c: docker.uncompressed_digest" "$(meta_str "$lr" docker.uncompressed_digest)" "${gd[1]}"
	assert_eq "$c: docker.uncompressed_size" "$(meta_str "$lr" docker.uncompressed_size)" \
		"$(tar -xOf "$fx/$c.tar" "${files[1]}" | gzip -dc | wc -c | tr -d ' ')"
	mkdir -p "$T/ref-$c"
	for f in "${files[@]}"; do tar -xOf "$fx/$c.tar" "$f" | tar -xzf - -C "$T/ref-$c" 2> /dev/null ||
		tar -xOf "$fx/$c.tar" "$f" | tar -xf - -C "$T/ref-$c"; done
	if rootfs "$T/root-$c" "ociimage/${gd[0]#sha256:}" "$lr"; then
		assert_tree "$c: checkout equals GNU tar's extraction" "$T/ref-$c" "$T/root-$c"
	else
		not_ok "$c: check out the layers with ostree"
	fi
	assert_fsck "$R" "after $c"
done

# absolute and ./ names land inside the layer; the host's /etc is untouched
use_checkout "$T/co-abs"
mapfile -t ad < <(info "$fx/abs.info" 'd["images"][0]["diff_ids"]')
host_before=$(ls -d /etc/x /etc/dotslash 2>&1)
sc pull "dockertar:$fx/abs.tar"
assert_eq "abs: exit 0" "$rc" 0
assert_eq "abs: nothing on stderr" "$errout" ""
assert_match "abs: /etc/x stored as etc/x inside the layer" \
	"$(ostree ls --repo="$R" "ociimage/${ad[1]#sha256:}" /etc/x 2>&1)" "-00644 0 0 * /etc/x"
assert_match "abs: ./etc/dotslash stored as etc/dotslash" \
	"$(ostree ls --repo="$R" "ociimage/${ad[1]#sha256:}" /etc/dotslash 2>&1)" "-00644 0 0 * /etc/dotslash"
assert_eq "abs: etc/x has the entry's contents" \
	"$(ostree cat --repo="$R" "ociimage/${ad[1]#sha256:}" /etc/x 2>&1)" "abs"
assert_eq "abs: the host's /etc/x and /etc/dotslash as before (absent)" "$(ls -d /etc/x /etc/dotslash 2>&1)" "$host_before"
assert_match "abs: they were absent to begin with" "$host_before" "*No such file*No such file*"

# device nodes and fifos: skipped with one warning each, the rest stored
use_checkout "$T/co-device"
mapfile -t dd < <(info "$fx/device.info" 'd["images"][0]["diff_ids"]')
h=${dd[1]#sha256:}
sc pull "dockertar:$fx/device.tar"
assert_eq "device: exit 0 (a warning, not an error)" "$rc" 0
assert_eq "device: one warning per skipped node, naming it" "$errout" \
	"syscontainer: warning: layer ${h:0:12}: skipped character device 'dev/null' (OSTree cannot store it)
syscontainer: warning: layer ${h:0:12}: skipped block device 'dev/loop0' (OSTree cannot store it)
syscontainer: warning: layer ${h:0:12}: skipped fifo 'dev/fifo' (OSTree cannot store it)"
assert_match "device: the file after the nodes is stored" \
	"$(ostree ls --repo="$R" "ociimage/$h" /after 2>&1)" "-00644 0 0 * /after"
assert_eq "device: dev/ holds no node" "$(ostree ls --repo="$R" "ociimage/$h" /dev 2>&1 | awk '{print $NF}')" "/dev"
check "device: image ref" test -n "$(rev "$(image_ref docker.io/test/device:latest)")"
assert_fsck "$R" "after device"

done_testing

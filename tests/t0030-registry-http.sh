#!/bin/bash
# Issue 4, plain HTTP: skopeo pushes umoci-built images (OCI and Docker
# schema 2), a hand-written image with an opaque whiteout and uncompressed
# layers, and a multi-arch index to Debian's docker-registry on 127.0.0.1;
# `pull --tls-verify=false` stores trees equal to umoci's, refs and metadata
# as README says, shared layers fetched once, by tag and by digest, the
# platform chosen from the index.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"

if ! build_umoci || ! "$PY" "$top/tests/fixtures/hostile.py" --oci "$fx" opaque > /dev/null; then
	not_ok "build the fixtures (mkimage-umoci.sh, hostile.py)"
	done_testing
	exit 1
fi
P=$(free_port)
REG=127.0.0.1:$P
LOG=$T/reg/log
start_registry reg "$P" "$T/reg-data" || { not_ok "start docker-registry"; done_testing; exit 1; }
check "push multi (OCI)" push "oci:$fx/oci:multi" "$REG/test/multi:t"
check "push shared (OCI)" push "oci:$fx/oci:shared" "$REG/test/shared:t"
check "push multi as Docker schema 2" push "oci:$fx/oci:multi" "$REG/test/multi-v2s2:t" --format v2s2
check "push the opaque-whiteout image, layers uncompressed" \
	"$PY" "$top/tests/helpers/ocipush.py" "$fx/opaque.oci" latest "$REG" test/opaque:t
use_checkout "$T/checkout"

# ---------------------------------------------------------------- multi
manifest_of "$P" test/multi t > "$T/multi.manifest"
mdigest=sha256:$(sha256 "$T/multi.manifest")
cfg=$(json_get 'd["config"]["digest"]' < "$T/multi.manifest")
mapfile -t blobs < <(json_get '[l["digest"] for l in d["layers"]]' < "$T/multi.manifest")
mapfile -t sizes < <(json_get '[l["size"] for l in d["layers"]]' < "$T/multi.manifest")
mapfile -t diffs < <(curl -sf "http://$REG/v2/test/multi/blobs/$cfg" | json_get 'd["rootfs"]["diff_ids"]')
assert_eq "fixture: multi has 3 gzip layers" "$(json_get '[l["mediaType"] for l in d["layers"]]' < "$T/multi.manifest" | sort -u)" \
	application/vnd.oci.image.layer.v1.tar+gzip
assert_eq "fixture: 3 diff IDs" "${#diffs[@]}" 3

sc pull --tls-verify=false "$REG/test/multi:t"
assert_eq "pull multi: exit 0" "$rc" 0
assert_eq "pull multi: nothing on stderr" "$errout" ""
expected=
for d in "${diffs[@]}"; do expected="${expected}Pulling layer ${d#sha256:}
Stored layer ${d:7:12}: *
"; done
assert_match "pull multi: a line per layer, then the summary" "$out" \
	"${expected}Pulled $REG/test/multi:t (IMAGE ID ${cfg:7:12}): 3 layers stored, 0 skipped, [0-9]*"
img=$(image_ref "$REG/test/multi:t")
want_refs=$( (for i in 0 1 2; do echo "ociimage/${diffs[$i]#sha256:}"; echo "ociimage/${blobs[$i]#sha256:}"; done; echo "$img") | sort)
assert_eq "refs: diff-ID refs, compressed-digest aliases, the image" "$(refs)" "$want_refs"
for i in 0 1 2; do
	lr=ociimage/${diffs[$i]#sha256:}
	assert_eq "layer $((i + 1)): alias by blob digest names the same commit" \
		"$(rev "ociimage/${blobs[$i]#sha256:}")" "$(rev "$lr")"
	assert_eq "layer $((i + 1)): docker.digest is the blob digest" "$(meta_str "$lr" docker.digest)" "${blobs[$i]}"
	assert_eq "layer $((i + 1)): docker.size is the blob size" "$(meta_str "$lr" docker.size)" "${sizes[$i]}"
	assert_eq "layer $((i + 1)): docker.uncompressed_digest" "$(meta_str "$lr" docker.uncompressed_digest)" "${diffs[$i]}"
done
meta_str "$img" docker.manifest > "$T/manifest.got"
check "image: docker.manifest is the manifest as served, byte for byte" cmp -s "$T/manifest.got" "$T/multi.manifest"
assert_eq "image: docker.digest is its digest" "$(meta_str "$img" docker.digest)" "$mdigest"
curl -sf "http://$REG/v2/test/multi/blobs/$cfg" > "$T/config.want"
meta_str "$img" syscontainer.config > "$T/config.got"
check "image: syscontainer.config is the config blob" cmp -s "$T/config.got" "$T/config.want"
assert_eq "image: syscontainer.source" "$(meta_str "$img" syscontainer.source)" "docker://$REG/test/multi:t"
assert_eq "image: syscontainer.name" "$(meta_str "$img" syscontainer.name)" "$REG/test/multi:t"
layer_refs=()
for d in "${diffs[@]}"; do layer_refs+=("ociimage/${d#sha256:}"); done
if rootfs "$T/root-multi" "${layer_refs[@]}"; then
	assert_tree "multi: the layers checked out equal umoci unpack" "$fx/multi.rootfs" "$T/root-multi"
else
	not_ok "multi: check out the layers with ostree"
fi
assert_fsck "$R" "after pulling multi"
for i in 0 1 2; do
	assert_eq "layer $((i + 1)) fetched once" "$(blob_gets "$LOG" "${blobs[$i]}")" 1
done

# ---------------------------------------------------------------- shared
manifest_of "$P" test/shared t > "$T/shared.manifest"
scfg=$(json_get 'd["config"]["digest"]' < "$T/shared.manifest")
mapfile -t sblobs < <(json_get '[l["digest"] for l in d["layers"]]' < "$T/shared.manifest")
assert_eq "fixture: shared's first layer blob is multi's" "${sblobs[0]}" "${blobs[0]}"
sc pull --tls-verify=false "$REG/test/shared:t"
assert_eq "pull shared: exit 0" "$rc" 0
assert_match "pull shared: the shared layer skipped" "$out" \
	"Skipping layer ${diffs[0]#sha256:}: already present
Pulling layer *
Pulled $REG/test/shared:t (IMAGE ID ${scfg:7:12}): 1 layer stored, 1 skipped, *"
assert_eq "shared layer: still fetched only once in all" "$(blob_gets "$LOG" "${blobs[0]}")" 1
assert_eq "shared's own layer fetched once" "$(blob_gets "$LOG" "${sblobs[1]}")" 1
mapfile -t sdiffs < <(curl -sf "http://$REG/v2/test/shared/blobs/$scfg" | json_get 'd["rootfs"]["diff_ids"]')
if rootfs "$T/root-shared" "ociimage/${sdiffs[0]#sha256:}" "ociimage/${sdiffs[1]#sha256:}"; then
	assert_tree "shared: equal to umoci unpack" "$fx/shared.rootfs" "$T/root-shared"
else
	not_ok "shared: check out the layers with ostree"
fi

# ---------------------------------------------------------------- by digest
sc pull --tls-verify=false "$REG/test/multi@$mdigest"
assert_eq "pull by digest: exit 0" "$rc" 0
assert_match "pull by digest: every layer already there, named by its digest" "$out" \
	"*Pulled $REG/test/multi@$mdigest (IMAGE ID ${cfg:7:12}): 0 layers stored, 3 skipped, 0 B"
bydig=$(image_ref "$REG/test/multi@$mdigest")
assert_eq "pull by digest: docker.digest" "$(meta_str "$bydig" docker.digest)" "$mdigest"
sc pull --tls-verify=false "$REG/test/multi:t@$mdigest"
assert_eq "pull by tag and digest: exit 0" "$rc" 0
assert_match "pull by tag and digest: named by the tag" "$out" "*Pulled $REG/test/multi:t (IMAGE ID *"
assert_eq "layers never fetched again" "$(blob_gets "$LOG" "${blobs[1]}")" 1

# http: prefix means --tls-verify=false
use_checkout "$T/co-http"
sc pull "http:$REG/test/multi:t"
assert_eq "http: prefix: exit 0 without --tls-verify=false" "$rc" 0
assert_match "http: prefix: same image" "$out" "*Pulled $REG/test/multi:t (IMAGE ID ${cfg:7:12}): *"
assert_eq "http: prefix: syscontainer.source keeps it" "$(meta_str "$img" syscontainer.source)" "http:$REG/test/multi:t"

# ---------------------------------------------------------------- Docker schema 2
use_checkout "$T/co-v2s2"
manifest_of "$P" test/multi-v2s2 t > "$T/v2s2.manifest"
assert_eq "fixture: Docker media types" "$(json_get 'd["mediaType"]' < "$T/v2s2.manifest") $(json_get 'd["layers"][0]["mediaType"]' < "$T/v2s2.manifest")" \
	"application/vnd.docker.distribution.manifest.v2+json application/vnd.docker.image.rootfs.diff.tar.gzip"
sc pull --tls-verify=false "$REG/test/multi-v2s2:t"
assert_eq "pull Docker schema 2: exit 0" "$rc" 0
assert_match "pull Docker schema 2: same config, same IMAGE ID" "$out" "*(IMAGE ID ${cfg:7:12})*"
assert_eq "Docker schema 2: docker.digest" "$(meta_str "$(image_ref "$REG/test/multi-v2s2:t")" docker.digest)" \
	"sha256:$(sha256 "$T/v2s2.manifest")"
if rootfs "$T/root-v2s2" "${layer_refs[@]}"; then
	assert_tree "Docker schema 2: equal to umoci unpack" "$fx/multi.rootfs" "$T/root-v2s2"
else
	not_ok "Docker schema 2: check out the layers"
fi

# ---------------------------------------------------------------- opaque, uncompressed
use_checkout "$T/co-opaque"
mapfile -t od < <(info "$fx/opaque.info" 'd["images"][0]["diff_ids"]')
manifest_of "$P" test/opaque t > "$T/opaque.manifest"
assert_eq "fixture: opaque's layers are uncompressed tar" \
	"$(json_get '[l["mediaType"] for l in d["layers"]]' < "$T/opaque.manifest" | sort -u)" \
	application/vnd.oci.image.layer.v1.tar
sc pull --tls-verify=false "$REG/test/opaque:t"
assert_eq "pull opaque: exit 0" "$rc" 0
assert_eq "opaque: no alias refs for uncompressed layers" "$(refs)" \
	"$( (echo "ociimage/${od[0]#sha256:}"; echo "ociimage/${od[1]#sha256:}"; image_ref "$REG/test/opaque:t") | sort)"
if rootfs "$T/root-opaque" "ociimage/${od[0]#sha256:}" "ociimage/${od[1]#sha256:}"; then
	assert_eq "opaque: dir/ holds only new; keep/c stays" \
		"$(cd "$T/root-opaque" && find . | sort | tr '\n' ' ')" ". ./dir ./dir/new ./keep ./keep/c "
else
	not_ok "opaque: check out the layers"
fi
assert_fsck "$R" "after opaque"

# ---------------------------------------------------------------- multi-arch index
# Each image of the index names in its config the platform the index gives
# it, as a real multi-arch image's do (pull checks it): multi as amd64,
# shared as arm64.
umoci config --image "$fx/oci:multi" --tag multi-amd64 --architecture amd64 --no-history
umoci config --image "$fx/oci:shared" --tag shared-arm64 --architecture arm64 --no-history
check "push multi (amd64) into test/multiarch" push "oci:$fx/oci:multi-amd64" "$REG/test/multiarch:amd64"
check "push shared (arm64) into test/multiarch" push "oci:$fx/oci:shared-arm64" "$REG/test/multiarch:arm64"
manifest_of "$P" test/multiarch amd64 > "$T/amd64.manifest"
manifest_of "$P" test/multiarch arm64 > "$T/arm64.manifest"
mlen=$(stat -c %s "$T/amd64.manifest") xdigest=sha256:$(sha256 "$T/amd64.manifest")
slen=$(stat -c %s "$T/arm64.manifest") adigest=sha256:$(sha256 "$T/arm64.manifest")
xcfg=$(json_get 'd["config"]["digest"]' < "$T/amd64.manifest")
acfg=$(json_get 'd["config"]["digest"]' < "$T/arm64.manifest")
cat > "$T/index.json" <<EOF
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$xdigest","size":$mlen,"platform":{"os":"linux","architecture":"amd64"}},
 {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"$adigest","size":$slen,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}
EOF
check "put the index" curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.index.v1+json' \
	--data-binary "@$T/index.json" "http://$REG/v2/test/multiarch/manifests/latest" -o /dev/null
idigest=sha256:$(sha256 "$T/index.json")
host=${SC_ARCH:-$(uname -m)}
for c in "linux/arm64:$acfg:$adigest" "linux/aarch64:$acfg:$adigest" "linux/arm64/v8:$acfg:$adigest" \
	"linux/amd64:$xcfg:$xdigest" "linux/x86_64:$xcfg:$xdigest"; do
	plat=${c%%:*} rest=${c#*:}
	want=${rest%%:sha256:*} wmd=sha256:${rest##*:sha256:}
	use_checkout "$T/co-plat"
	rm -rf "$T/co-plat"
	sc pull --tls-verify=false --platform "$plat" "$REG/test/multiarch"
	assert_eq "index, --platform $plat: exit 0" "$rc" 0
	assert_match "index, --platform $plat: that image" "$out" "*Pulled $REG/test/multiarch:latest (IMAGE ID ${want:7:12}): *"
	assert_eq "index, --platform $plat: docker.digest is the platform manifest's" \
		"$(meta_str "$(image_ref "$REG/test/multiarch:latest")" docker.digest)" "$wmd"
done
rm -rf "$T/co-plat"
sc pull --tls-verify=false "$REG/test/multiarch"
case $host in
x86_64) assert_match "index, no --platform: this machine's (amd64)" "$out" "*(IMAGE ID ${xcfg:7:12})*" ;;
aarch64) assert_match "index, no --platform: this machine's (arm64)" "$out" "*(IMAGE ID ${acfg:7:12})*" ;;
*) skip "index: no image for this machine's architecture $host" ;;
esac
rm -rf "$T/co-plat"
sc pull --tls-verify=false --platform linux/arm64 "$REG/test/multiarch@$idigest"
assert_eq "index by digest: exit 0" "$rc" 0
assert_match "index by digest: named by the index digest" "$out" "*Pulled $REG/test/multiarch@$idigest (IMAGE ID ${acfg:7:12}): *"
rm -rf "$T/co-plat"
expect_fail "index: no image for the platform lists what it offers" 1 \
	"syscontainer: pull $REG/test/multiarch: manifest 'test/multiarch:latest': no image for linux/riscv64 in the index; it offers linux/amd64, linux/arm64" \
	pull --tls-verify=false --platform linux/riscv64 "$REG/test/multiarch"
unchanged "index without a match"
expect_fail "--platform malformed: usage error" 2 \
	"syscontainer: pull: --platform 'linux': expected os/arch[/variant]" \
	pull --tls-verify=false --platform linux "$REG/test/multiarch"

done_testing

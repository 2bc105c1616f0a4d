# Shared by the tests of the sources other than a registry (t0014-t0018),
# sourced after tests/lib.sh, tests/helpers/pull-lib.sh and
# tests/helpers/registry-lib.sh: the registry pull every other source is
# compared with, tree for tree, and the archive shapes engines write.

# trees IMAGE_NAME: what a stored image is, read from $R by the ostree CLI:
# its config digest, then per layer its diff ID, the tree checksum of the
# layer commit and its uncompressed size.  Two sources stored the same
# image iff they print the same lines.
trees() {
	_s_ref=$(image_ref "$1")
	meta_str "$_s_ref" syscontainer.config > "$T/.cfg" || { echo "no image $1"; return; }
	echo "config sha256:$(sha256 "$T/.cfg")"
	"$PY" -c 'import json,sys; print(*json.load(open(sys.argv[1]))["rootfs"]["diff_ids"], sep="\n")' \
		"$T/.cfg" | while read -r _s_d; do
		_s_l=ociimage/${_s_d#sha256:}
		echo "layer $_s_d tree $(ostree show --repo="$R" "$_s_l" 2> /dev/null |
			sed -n 's/^ContentChecksum: *//p') size $(meta_str "$_s_l" docker.uncompressed_size)"
	done
}

# registry_baseline NAME...: each tag NAME of the umoci layout $fx/oci,
# pushed to a registry on 127.0.0.1 and pulled from it into $T/co-reg
# (by address: nothing to resolve, nothing leaves the machine); its
# trees in $T/baseline.NAME, its refs in $T/baseline.NAME.refs.
registry_baseline() {
	_s_port=$(free_port)
	start_registry reg "$_s_port" "$T/reg-data" || return 1
	_s_keep=${ATOMIC_OSTREE_CHECKOUT_PATH:-}
	use_checkout "$T/co-reg"
	for _s_n in "$@"; do
		# skopeo contained: its blob cache is not the host's to write
		sh "$top/tests/helpers/contained.sh" --net "$T/skopeo" skopeo copy --quiet \
			--dest-tls-verify=false "oci:$fx/oci:$_s_n" \
			"docker://127.0.0.1:$_s_port/test/$_s_n:t" > "$T/.push" 2>&1 ||
			{ sed 's/^/#   /' "$T/.push"; return 1; }
		"${SC_REAL:-$SC}" --quiet pull --tls-verify=false "127.0.0.1:$_s_port/test/$_s_n:t" > /dev/null ||
			return 1
		trees "127.0.0.1:$_s_port/test/$_s_n:t" > "$T/baseline.$_s_n"
		refs | grep -v "_3At$" > "$T/baseline.$_s_n.refs"
	done
	use_checkout "$_s_keep"
}

# same_as_registry DESC NAME IMAGE_NAME: the image stored in $R as
# IMAGE_NAME is the registry's NAME, tree for tree.
same_as_registry() {
	trees "$3" > "$T/.trees"
	if [ -s "$T/baseline.$2" ] && cmp -s "$T/.trees" "$T/baseline.$2"; then
		ok "$1: the same config and layer trees as the registry pull"
	else
		not_ok "$1: the same config and layer trees as the registry pull"
		diff "$T/baseline.$2" "$T/.trees" | sed 's/^/#   /'
	fi
}

# docker_save SHAPE OUT [OPTIONS...]: umoci's multi as `docker save` of an
# engine writes it (mkdockersave.py), named test/multi:latest.
docker_save() {
	_s_shape=$1 _s_out=$2
	shift 2
	"$PY" "$top/tests/fixtures/mkdockersave.py" --shape "$_s_shape" "$@" \
		"$fx/oci" multi test/multi:latest "$_s_out"
}

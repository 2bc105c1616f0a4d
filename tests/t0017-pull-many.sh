#!/bin/bash
# Issue 12: several images in one pull, from different sources, offline:
# layers they share stored once, each image's result line, a failing one
# reported on its own line while the others are stored, a summary, exit 1.
# Names: an archive's invalid name said in a warning.  Where an image came
# from does not matter to images delete and prune afterwards.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/sources-lib.sh"

offline
if ! build_umoci || ! build_hostile wrong-diffid; then
	not_ok "build the fixtures (mkimage-umoci.sh, hostile.py)"
	done_testing
	exit 1
fi
retag "$fx/shared.tar" test/other:latest "$T/other.tar"
mapfile -t diffs < <(diff_ids "$fx/multi.tar")
mapfile -t sdiffs < <(diff_ids "$fx/shared.tar")
mapfile -t wd < <(info "$fx/wrong-diffid.info" 'd["images"][0]["diff_ids"]')
W=$fx/wrong-diffid.tar

use_checkout "$T/co-many"
sc pull "dockertar:$fx/multi.tar" "oci:$fx/oci:shared" "dockertar:$W" docker-archive:- < <(cat "$T/other.tar")
assert_eq "four sources, one refused: exit 1" "$rc" 1
assert_eq "four sources, one refused: its one line" "$errout" \
	"syscontainer: pull dockertar:$W: layer ${wd[1]:7:12}: diff ID mismatch: the config says ${wd[1]}, the layer is $(info "$fx/wrong-diffid.info" 'd["images"][0]["layers"][1]["diff_id"]')"
assert_match "four sources: every result, shared layers skipped, then the summary" "$out" \
	"Pulling layer ${diffs[0]#sha256:}
Stored layer ${diffs[0]:7:12}: *
Pulling layer ${diffs[1]#sha256:}
Stored layer ${diffs[1]:7:12}: *
Pulling layer ${diffs[2]#sha256:}
Stored layer ${diffs[2]:7:12}: *
Pulled docker.io/test/multi:latest (IMAGE ID *): 3 layers stored, 0 skipped, *
Skipping layer ${sdiffs[0]#sha256:}: already present
Pulling layer ${sdiffs[1]#sha256:}
Stored layer ${sdiffs[1]:7:12}: *
Pulled docker.io/library/shared:latest (IMAGE ID *): 1 layer stored, 1 skipped, *
Pulling layer ${wd[0]#sha256:}
Stored layer ${wd[0]:7:12}: *
Pulling layer ${wd[1]#sha256:}
Skipping layer *: already present
Skipping layer *: already present
Pulled docker.io/test/other:latest (IMAGE ID *): 0 layers stored, 2 skipped, 0 B
Pulled 3 of 4 images, 1 failed"
assert_eq "four sources: the three good images are stored" "$(image_refs)" "$( (image_ref docker.io/test/multi:latest
	image_ref docker.io/library/shared:latest; image_ref docker.io/test/other:latest) | sort)"
distinct_files() {
	for r in "$@"; do ostree ls --repo="$R" -R -C "$r"; done | awk '$1 !~ /^d/ {print $5}' | sort -u
}
layer_refs=$(refs | grep '^ociimage/[0-9a-f]\{64\}$')
# (and nothing of the refused layer: its staged objects went with it)
# shellcheck disable=SC2086
assert_eq "four sources: each distinct file stored once" "$(count_objects file)" \
	"$(distinct_files $layer_refs | wc -l)"
assert_fsck "$R" "after four sources"

sc pull "dockertar:$fx/multi.tar" "oci:$fx/oci:shared"
assert_match "again: each result line and the summary" "$out" \
	"*Image is up to date for docker.io/test/multi:latest (IMAGE ID *)
*Image is up to date for docker.io/library/shared:latest (IMAGE ID *)
Pulled 2 of 2 images"
sc --quiet pull "dockertar:$fx/multi.tar" "oci:$fx/oci:shared"
assert_eq "again, --quiet: nothing but errors" "$rc:$out:$errout" "0::"

# usage errors come before anything is pulled
use_checkout "$T/co-usage"
expect_fail "standard input twice" 2 \
	"syscontainer: pull: standard input can be read once ('docker-archive:-' and 'oci-archive:-')" \
	pull docker-archive:- "dockertar:$fx/multi.tar" oci-archive:-
expect_fail "standard input for a password and an archive" 2 \
	"syscontainer: pull: standard input can be read once (--password-stdin and 'docker-archive:-')" \
	pull --creds alice --password-stdin docker-archive:-
expect_fail "a malformed reference among good ones" 2 \
	"syscontainer: pull: invalid image reference 'My_Org/app': repository name must be lowercase" \
	pull "dockertar:$fx/multi.tar" My_Org/app
check "usage errors: no repository was even created" test ! -e "$R"

# ---------------------------------------------------------------- names
# RepoTags that are no image name (and no repositories file): a warning,
# then the file's name
use_checkout "$T/co-names"
echo '{"layers": [[{"path": "hello", "data": "hello\n"}]]}' > "$T/renamed.json"
"$PY" "$top/tests/helpers/mkarchive.py" "$T/renamed.tar" "Not/Valid:x" "$T/renamed.json"
sc pull "docker-archive:$T/renamed.tar"
assert_eq "an invalid RepoTag: exit 0" "$rc" 0
assert_eq "an invalid RepoTag: a warning says so, and what the image is named" "$errout" \
	"syscontainer: warning: the archive names its image 'Not/Valid:x', which is no image name: naming it docker.io/library/renamed:latest after the file"
sc pull docker-archive:- < <(cat "$T/renamed.tar")
assert_eq "an invalid RepoTag on standard input: no file to name it after" "$rc:$errout" \
	"1:syscontainer: pull docker-archive:-: standard input: the archive names its image 'Not/Valid:x', which is no image name"

# ---------------------------------------------------------------- afterwards
use_checkout "$T/co-many"
sc images delete docker.io/test/multi:latest
assert_eq "delete the image pulled from a docker-archive" "$rc" 0
sc images prune
assert_eq "prune: exit 0" "$rc" 0
assert_eq "prune: multi's own layers go, those shared with the oci: image stay" \
	"$(echo "$out" | grep '^Deleting' | sort)" \
	"$( (echo "Deleting ociimage/${diffs[1]#sha256:}"; echo "Deleting ociimage/${diffs[2]#sha256:}"
	     echo "Deleting ociimage/${wd[0]#sha256:}") | sort)"
check "prune: the shared layer stays" test -n "$(rev "ociimage/${diffs[0]#sha256:}")"
assert_fsck "$R" "after prune"

done_testing

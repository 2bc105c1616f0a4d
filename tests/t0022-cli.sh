#!/bin/bash
# The command line as Atomic's users type it: Atomic's system-container
# command lines (run as `atomic`, a link), group help, `--`, the verbs
# Atomic users reach for (info, version, stop, images update and verify),
# the man page rendering without warnings, bash completion driven through
# COMP_WORDS, and a hint for who runs it without root.
. "$(dirname "$0")/lib.sh"
ROOT=$T/root
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
CK=$ROOT/var/lib/containers/atomic
mkdir -p "$ROOT/usr/bin" "$T/bin"
printf '#!/bin/sh\nexit 0\n' > "$ROOT/usr/bin/runc" && chmod +x "$ROOT/usr/bin/runc"
ln -s "$SC" "$T/bin/atomic"
A=$T/bin/atomic
at() { "$A" --root "$ROOT" "$@" > "$T/.out" 2> "$T/.err"; rc=$?; out=$(cat "$T/.out"); errout=$(cat "$T/.err"); }
python3 "$top/tests/helpers/mkarchive.py" "$T/etcd.tar" gscrivano/etcd:latest /dev/stdin <<'SPEC'
{"config": {"config": {"Labels": {"Name": "etcd", "Version": "3.1", "Release": "7"}}},
 "layers": [[{"path": "run.sh", "data": "#!/bin/sh\n", "mode": 493}]]}
SPEC
layer=$(python3 -c 'import json,sys,tarfile; t=tarfile.open(sys.argv[1]); print(json.load(t.extractfile("manifest.json"))[0]["Layers"][0][:64])' "$T/etcd.tar")

# --- Atomic's command lines, as `atomic` ---------------------------------------------
at pull --storage=ostree "dockertar:$T/etcd.tar"
assert_eq "atomic pull: what Atomic printed" "$out" "Image dockertar:$T/etcd.tar is being pulled to ostree ...
Pulling layer $layer"
at pull --storage=docker "dockertar:$T/etcd.tar"
assert_eq "atomic pull --storage=docker: refused, saying why" "$rc:$errout" "2:syscontainer: pull: --storage: only 'ostree' is supported, not 'docker'"
at install --system --system-package=no -n etcd gscrivano/etcd
assert_eq "atomic install --system --system-package=no -n" "$rc" 0
assert_match "atomic install: Extracting to" "$out" "Extracting to /var/lib/containers/atomic/etcd.0*"
at install --system --system-package=yes gscrivano/etcd
assert_eq "atomic install --system-package=yes: refused, saying why" "$rc:$errout" "2:syscontainer: install: --system-package=yes: no rpm is made; the container is installed directly (use no or auto)"
at install --system --display -n etcd2 gscrivano/etcd
assert_match "atomic install --display: the plan, nothing done" "$rc:$out" "0:Would install etcd2 from docker.io/gscrivano/etcd:latest*"
check "--display changed nothing" test ! -e "$CK/etcd2.0"
at containers list -aq
assert_eq "atomic containers list -aq" "$out" etcd
at containers list --all --no-trunc -f name=etc
assert_match "atomic containers list --all --no-trunc -f" "$out" "CONTAINER ID*
etcd *docker.io/gscrivano/etcd:latest*installed*runc"
at images list -f repo=gscrivano/etcd --quiet
assert_eq "atomic images list -f --quiet" "$out" "$("$SC" --root "$ROOT" images info --json gscrivano/etcd | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"][7:19])')"
at images list -n --all
assert_eq "atomic images list -n --all: no header, layers too" "$(echo "$out" | awk '{print $NF}' | sort | uniq -c | awk '{print $1, $2}' | tr '\n' ' ')" "1 layer 1 system "
at info gscrivano/etcd
assert_match "atomic info IMAGE" "$out" "Image:      docker.io/gscrivano/etcd:latest*"
at version gscrivano/etcd
assert_match "atomic version IMAGE: Name-Version-Release" "$out" "* etcd-3.1-7 docker.io/gscrivano/etcd:latest"
at version
assert_match "atomic version: ours" "$out" "syscontainer *libostree *"
at images verify
assert_match "atomic images verify" "$rc:$out" "0:docker.io/gscrivano/etcd:latest: 1 layers, [1-9]* objects verified"
at images update
assert_eq "atomic images update: pulled again from its source" "$rc:$out" "0:docker.io/gscrivano/etcd:latest: up to date"
sc --root "$ROOT" images update
assert_eq "images update: one result line of its own, no second 'Image is up to date'" \
	"$rc:$(echo "$out" | grep -v '^Skipping layer')" "0:docker.io/gscrivano/etcd:latest: up to date"
at stop etcd
assert_eq "atomic stop under --root: acts on this host only" "$rc:$errout" "2:syscontainer: stop: stop acts on this host: it cannot be used with --root"
at uninstall -- etcd
assert_eq "-- ends the options" "$rc" 0
at images --help
assert_match "images --help lists its sub-commands" "$rc:$out" "0:usage: syscontainer images SUB-COMMAND*verify *"
at containers --help
assert_match "containers --help" "$rc:$out" "0:usage: syscontainer containers SUB-COMMAND*rollback *"

# --- images verify finds a damaged object ----------------------------------------------
obj=$(find "$CK/.storage/ostree/objects" -name '*.file' -size +0 | head -1)
chmod u+w "$obj" && printf 'damaged' >> "$obj"
at images verify gscrivano/etcd
assert_eq "verify: a damaged object fails it" "$rc" 1
assert_match "verify: the object and the image are named" "$errout" "syscontainer: images verify docker.io/gscrivano/etcd:latest: object *
syscontainer: images verify: 1 of 1 images failed verification"

# --- the man page ----------------------------------------------------------------------
if command -v groff >/dev/null; then
	warn=$(LC_ALL=C groff -ww -man -Tutf8 "$top/src/syscontainer.1" 2>&1 >/dev/null)
	assert_eq "the man page renders without a warning (groff -ww)" "$warn" ""
	text=$(LC_ALL=C groff -man -Tascii "$top/src/syscontainer.1" 2>/dev/null | col -b)
	for s in SYNOPSIS VERBS IMAGE VARIABLES EXPORTS "HOST FILES" "GLOBAL OPTIONS" ENVIRONMENT \
		"EXIT STATUS" FILES ATOMIC EXAMPLES; do
		assert_match "man page section $s" "$text" "*
$s
*"
	done
	for v in $("$SC" --help | sed -n '/^Verbs:/,/^$/p' | awk 'NR > 1 && NF {print ($1 == "images" || $1 == "containers") ? $1 " " $2 : $1}' | tr ' ' '_'); do
		assert_match "man page documents ${v/_/ }" "$text" "*${v/_/ }*"
	done
else
	skip_or_fail "groff is not installed"
fi

# --- bash completion -----------------------------------------------------------------------
at install --system -n kv gscrivano/etcd
complete_words() {   # complete_words WORD...: what completing the last word offers
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _syscontainer; printf "%s\n" "${COMPREPLY[@]}"' \
		- "$top/src/syscontainer.bash" "$@" | sort | tr '\n' ' '
}
assert_eq "completion is registered" "$(bash -c '. "$1"; complete -p syscontainer' - "$top/src/syscontainer.bash")" "complete -F _syscontainer syscontainer"
assert_eq "completion: verbs" "$(complete_words "$SC" im)" "images "
assert_eq "completion: every verb --help lists" "$(complete_words "$SC" "")" \
	"$("$SC" --help | awk '/^Verbs:/{on=1; next} /^$/{on=0} on && /^  [a-z]/{print $1}' | sort -u | tr '\n' ' ')"
assert_eq "completion: a group's sub-commands" "$(complete_words "$SC" images "")" "delete info list prune tag update verify "
assert_eq "completion: stored images, under --root" "$(complete_words "$SC" --root "$ROOT" install gscr)" "gscrivano/etcd:latest "
assert_eq "completion: installed containers" "$(complete_words "$SC" --root "$ROOT" uninstall "")" "--force --purge kv "
assert_eq "completion: options" "$(complete_words "$SC" containers list --n)" "--no-trunc "
# every option a verb's --help names is offered after "--" (global ones aside)
"$SC" --help | awk '/^Verbs:/{on=1; next} /^$/{on=0} on && /^  [a-z]/{print $1 ($2 ~ /^[a-z]+$/ ? " " $2 : "")}' > "$T/verbs"
missing=
while read -r verb; do
	offered=$(complete_words "$SC" $verb --)
	for o in $("$SC" $verb --help | sed -n '/^Options:/,$p' | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		case $o in --root|--repo|--quiet|--verbose|--help|--version) continue ;; esac
		case " $offered" in *" $o "*|*" $o="*) ;; *) missing="$missing $verb:$o" ;; esac
	done
done < "$T/verbs"
assert_eq "completion: every option of every verb's --help" "$missing" ""

# --- without root --------------------------------------------------------------------------
chmod 755 "$T"
if command -v runuser >/dev/null && runuser -u nobody -- true 2>/dev/null; then
	v=$(cd / && runuser -u nobody -- env ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic "$SC" --root "$ROOT" images list 2>&1)
	assert_eq "not root: one line, the verb, the cause, a hint" "$v" "syscontainer: images list: open '/var/lib/containers/atomic/.storage/repo-path': Permission denied (run as root)"
else
	skip_or_fail "runuser cannot run as nobody"
fi
done_testing

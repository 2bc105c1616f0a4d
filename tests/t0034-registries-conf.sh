#!/bin/bash
# Issue 14, registries.conf: two docker-registries, a primary and a mirror
# holding only some of its images, behind a registries.conf that renames,
# mirrors and blocks; the registries' access logs prove which one served
# what.  Short names resolve by alias and by the unqualified-search list
# (enforcing mode refuses an ambiguous one), and with no configuration a
# short name still means docker.io.  Every malformed file is one error
# naming file and line.
#
# Everything runs in a private network namespace with only a loopback, the
# registries included: a name that escaped the configuration could never
# reach docker.io or a real DNS server.
if [ -z "${SC_IN_NETNS:-}" ]; then
	if unshare -n true 2> /dev/null; then
		SC_IN_NETNS=1 exec unshare -n bash "$0" "$@"
	fi
	. "$(dirname "$0")/lib.sh"
	skip_or_fail "unshare -n (a private network namespace) is not available"
	done_testing
	exit
fi
ip link set lo up
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"

if ! build_umoci; then
	not_ok "build the fixtures (mkimage-umoci.sh)"
	done_testing
	exit 1
fi
P1=$(free_port) P2=$(free_port)
PRI=127.0.0.1:$P1 MIR=127.0.0.1:$P2
start_registry primary "$P1" "$T/primary-data" || { not_ok "start the primary"; done_testing; exit 1; }
start_registry mirror "$P2" "$T/mirror-data" || { not_ok "start the mirror"; done_testing; exit 1; }
check "push test/a to the primary" push "oci:$fx/oci:multi" "$PRI/test/a:t"
check "push test/b to the primary" push "oci:$fx/oci:shared" "$PRI/test/b:t"
check "the mirror holds test/a only" push "oci:$fx/oci:multi" "$MIR/test/a:t"
manifest_of "$P1" test/a t > "$T/a.manifest"
adigest=sha256:$(sha256 "$T/a.manifest")
mapfile -t ablobs < <(json_get '[l["digest"] for l in d["layers"]]' < "$T/a.manifest")
manifest_of "$P1" test/b t > "$T/b.manifest"
mapfile -t bblobs < <(json_get '[l["digest"] for l in d["layers"]]' < "$T/b.manifest")
PLOG=$T/primary/log MLOG=$T/mirror/log
# reset_logs: from here on, ours LOG... shows only what comes next
reset_logs() { pmark=$(wc -c < "$PLOG"); mmark=$(wc -c < "$MLOG"); }
# ours LOG...: the requests we (not skopeo) made since reset_logs, as
# "METHOD PATH STATUS"
ours() {
	for _l in "$@"; do
		tail -c +$(($([ "$_l" = "$PLOG" ] && echo "$pmark" || echo "$mmark") + 1)) "$_l"
	done | grep '"syscontainer/' | sed -n 's/.*"\(GET [^ ]*\) HTTP[^"]*" \([0-9]*\) .*/\1 \2/p'
}

export HOME=$T/home
mkdir -p "$HOME"
CONF=$T/registries.conf
export CONTAINERS_REGISTRIES_CONF=$CONF
cat > "$CONF" <<EOF
# a site's registries.conf: registry.example is served by the primary,
# through the mirror when it has the image
[[registry]]
prefix = "registry.example"
location = "$PRI"
insecure = true

[[registry.mirror]]
location = "$MIR"
insecure = true

[[registry]]
prefix = "registry.example/test/blocked"
location = "$PRI/test/blocked"
blocked = true
EOF

# ---------------------------------------------------------------- mirrors
use_checkout "$T/co-mirror"
reset_logs
sc -v pull registry.example/test/a:t
assert_eq "an image the mirror has: exit 0" "$rc" 0
assert_match "stored under the name asked for" "$out" "*Pulled registry.example/test/a:t (IMAGE ID *"
assert_eq "the mirror served the manifest and every layer" \
	"$(ours "$MLOG" | grep -c -e "/manifests/t 200" -e "/blobs/.* 200")" "$((1 + 1 + ${#ablobs[@]}))"
assert_eq "the primary was not asked for test/a at all" "$(ours "$PLOG" | grep -c /test/a/)" 0
assert_match "-v says which files were read and where the name went" "$errout" \
	"*syscontainer: registries configuration: $CONF
*syscontainer: registry.example/test/a:t: trying $MIR/test/a:t, mirror '$MIR' of 'registry.example' ('$CONF' line 8)
*syscontainer: registry.example/test/a:t: pulling from $MIR/test/a:t over http*"
assert_eq "syscontainer.source is the name asked for" \
	"$(meta_str "$(image_ref registry.example/test/a:t)" syscontainer.source)" "docker://registry.example/test/a:t"
assert_fsck "$R" "after the mirror pull"

use_checkout "$T/co-mirror-b"
reset_logs
sc pull registry.example/test/b:t
assert_eq "an image the mirror lacks: exit 0" "$rc" 0
assert_eq "the mirror was asked and said it has no such repository" \
	"$(ours "$MLOG" | grep /test/b/ | cut -d' ' -f2,3)" "/v2/test/b/manifests/t 404
/v2/test/b/tags/list?n=1 404"
assert_eq "the primary served every layer of test/b" \
	"$(ours "$PLOG" | grep -c "/test/b/blobs/.* 200")" "$((1 + ${#bblobs[@]}))"

# pull-from-mirror = "digest-only": tags go to the primary
sed -i 's/^insecure = true$/&/; /^location = "127.0.0.1:'"$P2"'"$/a pull-from-mirror = "digest-only"' "$CONF"
use_checkout "$T/co-digest-only"
reset_logs
sc --quiet pull registry.example/test/a:t
assert_eq "digest-only mirror, by tag: exit 0" "$rc" 0
assert_eq "digest-only mirror, by tag: the mirror is not asked" "$(ours "$MLOG" | wc -l)" 0
use_checkout "$T/co-digest-only2"
reset_logs
sc --quiet pull "registry.example/test/a@$adigest"
assert_eq "digest-only mirror, by digest: exit 0" "$rc" 0
assert_eq "digest-only mirror, by digest: the mirror serves it" \
	"$(ours "$MLOG" | grep -c "/manifests/$adigest 200")" 1
assert_eq "digest-only mirror, by digest: the primary is not asked" "$(ours "$PLOG" | grep -c /test/a/)" 0

# a mirror that answers nothing: the primary still serves, the message of a
# total failure names the mirrors tried
sed -i "s/$MIR/127.0.0.1:1/" "$CONF"
use_checkout "$T/co-deadmirror"
sc --quiet pull "registry.example/test/a@$adigest"
assert_eq "a dead mirror: the primary serves" "$rc" 0
use_checkout "$T/co-nothing"
expect_fail "neither mirror nor primary has it: the primary's answer, mirrors named" 1 \
	"syscontainer: pull registry.example/test/nosuch@$adigest: repository 'test/nosuch' not found on registry '$PRI' (mirror '127.0.0.1:1' failed first)" \
	pull "registry.example/test/nosuch@$adigest"
unchanged "no endpoint has it"

# ---------------------------------------------------------------- blocked
use_checkout "$T/co-blocked"
reset_logs
expect_fail "a blocked prefix is refused naming the rule" 1 \
	"syscontainer: pull registry.example/test/blocked/x:t: 'registry.example/test/blocked/x:t' is blocked by the [[registry]] at '$CONF' line 13 (prefix 'registry.example/test/blocked')" \
	pull registry.example/test/blocked/x:t
assert_eq "blocked: no registry was asked" "$(ours "$PLOG" "$MLOG" | wc -l)" 0
unchanged "blocked"

# ---------------------------------------------------------------- short names
cat > "$CONF" <<EOF
unqualified-search-registries = ["$MIR", "$PRI"]

[aliases]
"myapp" = "registry.example/test/a"

[[registry]]
prefix = "registry.example"
location = "$PRI"
insecure = true

[[registry]]
location = "$MIR"
insecure = true

[[registry]]
location = "$PRI"
insecure = true
EOF
use_checkout "$T/co-short"
reset_logs
sc pull test/b:t
assert_eq "short name, permissive: exit 0" "$rc" 0
assert_match "short name: stored under the registry that had it" "$out" "*Pulled $PRI/test/b:t (IMAGE ID *"
assert_eq "short name: a notice says what it resolved to" "$errout" \
	"syscontainer: notice: 'test/b' is not fully qualified: pulling $PRI/test/b:t (unqualified-search-registries ('$CONF' line 1))"
assert_eq "short name: the first search registry was asked first" \
	"$(ours "$MLOG" | grep /test/b/ | cut -d' ' -f2,3)" "/v2/test/b/manifests/t 404
/v2/test/b/tags/list?n=1 404"
sc pull myapp:t
assert_eq "an alias: exit 0" "$rc" 0
assert_match "an alias: the image is named by the alias's value" "$out" "*Pulled registry.example/test/a:t (IMAGE ID *"
sc --quiet pull myapp:t
assert_eq "an alias: --quiet keeps the notice back, and says nothing" "$rc:$out:$errout" "0::"
sed -i '1a short-name-mode = "enforcing"' "$CONF"
use_checkout "$T/co-enforcing"
expect_fail "enforcing: an ambiguous short name lists the candidates" 1 \
	"syscontainer: pull test/b:t: short name 'test/b' is ambiguous (short-name-mode \"enforcing\", '$CONF' line 2): give one of $MIR/test/b:t, $PRI/test/b:t" \
	pull test/b:t
unchanged "ambiguous short name"
sc --quiet pull myapp:t
assert_eq "enforcing: an alias is not ambiguous" "$rc" 0

# with no configuration at all a short name is docker.io, as it always was;
# here that is unreachable, which the message shows
echo '# nothing configured' > "$CONF"
use_checkout "$T/co-hub"
sc pull test/b:t
assert_eq "no search list: docker.io, exit 1 (no network here)" "$rc" 1
assert_match "no search list: the attempt went to Docker Hub" "$errout" \
	"syscontainer: pull test/b:t: GET https://registry-1.docker.io/v2/: resolve 'registry-1.docker.io': *"
unchanged "docker.io unreachable"

# ---------------------------------------------------------------- the files
# --root: the target's registries.conf and its drop-ins, in order, a later
# one replacing a [[registry]] with the same prefix
unset CONTAINERS_REGISTRIES_CONF
TR=$T/target
mkdir -p "$TR/etc/containers/registries.conf.d"
printf '[[registry]]\nprefix = "site.example"\nlocation = "127.0.0.1:1"\n' > "$TR/etc/containers/registries.conf"
printf '[[registry]]\nprefix = "site.example"\nlocation = "%s"\ninsecure = true\n' "$PRI" \
	> "$TR/etc/containers/registries.conf.d/50-site.conf"
printf 'unqualified-search-registries = ["%s"]\n' "$PRI" > "$TR/etc/containers/registries.conf.d/10-search.conf"
echo 'not TOML at all' > "$TR/etc/containers/registries.conf.d/ignored.txt"
use_checkout /co-root
sc -v --root "$TR" pull site.example/test/a:t
assert_eq "--root: the target's files: exit 0" "$rc" 0
assert_match "--root: its registries.conf, then its drop-ins in name order (not other files)" "$errout" \
	"*syscontainer: registries configuration: $TR/etc/containers/registries.conf, $TR/etc/containers/registries.conf.d/10-search.conf, $TR/etc/containers/registries.conf.d/50-site.conf
*"

# one error, naming the file and the line, for each kind of bad file
export CONTAINERS_REGISTRIES_CONF=$CONF
use_checkout "$T/co-bad"
bad_conf() {
	printf '%b' "$2" > "$CONF"
	expect_fail "bad registries.conf: $1" 1 "syscontainer: pull registry.example/test/a:t: $3" \
		pull registry.example/test/a:t
}
bad_conf "unknown key" '[[registry]]\nlocation = "x"\nmirrors = []\n' \
	"'$CONF' line 3: unknown key 'mirrors' in [[registry]]"
bad_conf "bad TOML" 'unqualified-search-registries = ["a",\n  "b"\n[[registry]]\n' \
	"'$CONF': line 3: expected ',' or ']' in an array"
bad_conf "mirror without location" '[[registry]]\nlocation = "x"\n\n[[registry.mirror]]\ninsecure = true\n' \
	"'$CONF' line 4: [[registry.mirror]] without a location"
bad_conf "a location with a scheme" '[[registry]]\nprefix = "registry.example"\nlocation = "http://x"\n' \
	"'$CONF' line 3: 'location' = \"http://x\": URI schemes are not supported"
unchanged "bad registries.conf"
rm "$CONF"
expect_fail "CONTAINERS_REGISTRIES_CONF naming a missing file" 1 \
	"syscontainer: pull registry.example/test/a:t: registries configuration '$CONF': open '$CONF': No such file or directory" \
	pull registry.example/test/a:t

done_testing

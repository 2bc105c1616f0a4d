#!/bin/bash
# apply FILE under --root, as a boot hook runs it on every boot: the first
# run installs what the file lists; the next changes nothing (the target's
# files identical) and says "up to date"; a changed --set or archive
# updates, a dropped --set goes back to the default; a bad line is
# reported, exactly, and does not stop the others; a registry that cannot
# be reached is no failure when the image is stored; names no longer
# listed stay unless --prune, and --prune never touches a container
# installed by hand; --list-files names the archives; usage errors.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
. "$top/tests/helpers/registry-lib.sh"
[ -n "${SANITIZE:-}" ] && export ASAN_OPTIONS=detect_leaks=0

ROOT=$T/root
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
CK=$ROOT/var/lib/containers/atomic
mkdir -p "$ROOT/usr/bin" "$ROOT/etc" "$T/img"
printf '#!/bin/sh\nexit 0\n' > "$ROOT/usr/bin/runc" && chmod +x "$ROOT/usr/bin/runc"
rs() { sc --root "$ROOT" "$@"; }
sc_id() { "$SC" --root "$ROOT" images info --json "$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"][7:19])'; }
layer() { "$SC" --root "$ROOT" images info --json "$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["layers"][0][7:])'; }

# mkimg NAME:TAG WORD: a service whose unit shows $PORT, $MODE and WORD.
mkimg() {
	cat > "$T/img/spec.json" <<SPEC
{"layers": [[{"path": "run.sh", "data": "#!/bin/sh\\necho $2\\n", "mode": 493},
             {"path": "exports/", "dir": true},
             {"path": "exports/manifest.json", "data": "{\\"defaultValues\\": {\\"PORT\\": \\"80\\", \\"MODE\\": \\"plain\\"}}"},
             {"path": "exports/service.template", "data": "[Service]\\nExecStart=/bin/true \$PORT \$MODE $2\\n[Install]\\nWantedBy=multi-user.target\\n"}]]}
SPEC
	"$PY" "$top/tests/helpers/mkarchive.py" "$T/img/$3.tar" "test/$1" "$T/img/spec.json"
}
mkimg web:1 web-v1 web1
mkimg web:2 web-v2 web2
mkimg db:1 db-v1 db1
unit() { sed -n 's/^ExecStart=//p' "$ROOT/etc/systemd/system/$1.service" 2>/dev/null; }
# The target as files: everything but the repository, whose image commits
# a re-pull may rewrite (it holds no container state).
snapshot() { (cd "$ROOT" && find . -path ./var/lib/containers/atomic/.storage/ostree -prune -o -printf '%p %M %s %T@ %i\n' | sort); }
F=$T/boot.conf

# --- first boot: everything installed ----------------------------------------
cat > "$F" <<EOF
# containers of this machine
web dockertar:$T/img/web1.tar --set PORT=8080 --set 'MODE=two words'

db  docker-archive:$T/img/db1.tar   # no --set
EOF
rs apply "$F"
assert_eq "first run: exit 0" "$rc" 0
assert_eq "first run: stderr" "$errout" ""
assert_match "first run: what it says" "$out" "Pulling layer $(layer test/web:1)
Stored layer $(layer test/web:1 | cut -c1-12): 10.2 kB, * entr*
Pulled docker.io/test/web:1 (IMAGE ID $(sc_id test/web:1)): 1 layer stored, 0 skipped, 10.2 kB
Extracting to /var/lib/containers/atomic/web.0
systemd is not running here: unit reload and tmpfiles happen at boot
web: installed docker.io/test/web:1 (IMAGE ID $(sc_id test/web:1))
Pulling layer $(layer test/db:1)
Stored layer $(layer test/db:1 | cut -c1-12): 10.2 kB, * entr*
Pulled docker.io/test/db:1 (IMAGE ID $(sc_id test/db:1)): 1 layer stored, 0 skipped, 10.2 kB
Extracting to /var/lib/containers/atomic/db.0
systemd is not running here: unit reload and tmpfiles happen at boot
db: installed docker.io/test/db:1 (IMAGE ID $(sc_id test/db:1))"
assert_eq "web: the line's values" "$(unit web)" "/bin/true 8080 two words web-v1"
assert_eq "db: the image's defaults" "$(unit db)" "/bin/true 80 plain db-v1"
assert_eq "both enabled" "$(ls "$ROOT/etc/systemd/system/multi-user.target.wants")" "db.service
web.service"
assert_eq "the names apply settled are recorded" "$(cat "$CK/.storage/applied")" "web
db"

# --- every later boot: nothing changes -------------------------------------------
before=$(snapshot)
rs apply "$F"
assert_eq "second run: exit 0" "$rc" 0
assert_eq "second run: up to date" "$(echo "$out" | grep -v -e '^Skipping layer' -e '^Pulled ')" "web: up to date
db: up to date"
assert_eq "second run: the target's files are identical" "$(snapshot)" "$before"
rs --quiet apply "$F"
assert_eq "--quiet: the result lines stay" "$(echo "$out" | grep -v '^Pulled ')" "web: up to date
db: up to date"

# --- a changed --set, a dropped one, a changed archive ----------------------------
sed -i 's/PORT=8080/PORT=9090/' "$F"
rs apply "$F"
assert_eq "changed --set: exit 0" "$rc" 0
assert_match "changed --set: updated" "$out" "*Extracting to /var/lib/containers/atomic/web.1
systemd is not running here: the new deployment starts at boot
Updated web to docker.io/test/web:1 (IMAGE ID sha256:$(sc_id test/web:1)); web.0 is kept for rollback
web: updated to docker.io/test/web:1 (IMAGE ID $(sc_id test/web:1))
*db: up to date"
assert_eq "changed --set: the new value is used" "$(unit web)" "/bin/true 9090 two words web-v1"
sed -i "s/ --set 'MODE=two words'//" "$F"
rs apply "$F"
assert_eq "a --set dropped from the file: the default comes back" "$(unit web)" "/bin/true 9090 plain web-v1"
assert_eq "a --set dropped: the record has only the file's" \
	"$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["sets"])' "$CK/web/info")" "['PORT=9090']"
sed -i "s|web1.tar|web2.tar|" "$F"
rs apply "$F"
assert_match "another archive: updated to its image" "$out" "*web: updated to docker.io/test/web:2 (IMAGE ID $(sc_id test/web:2))*"
assert_eq "another archive: its unit" "$(unit web)" "/bin/true 9090 plain web-v2"
rs containers rollback web
rs apply "$F"
assert_match "a rollback by hand is undone: the file says web:2" "$out" "*web: updated to docker.io/test/web:2*"

# --- bad lines: reported, the others applied --------------------------------------
cat > "$F" <<EOF
web dockertar:$T/img/web2.tar --set PORT=9090
bad dockertar:$T/img/nosuch.tar
worse
new dockertar:$T/img/web1.tar --set NAME=x
new2 dockertar:$T/img/web1.tar
new2 dockertar:$T/img/web2.tar
EOF
rs apply "$F"
assert_eq "bad lines: exit 1" "$rc" 1
assert_eq "bad lines: one line each, then the count" "$errout" "syscontainer: apply $F:2: pull dockertar:$T/img/nosuch.tar: open '$T/img/nosuch.tar': No such file or directory
syscontainer: apply $F:3: 'worse' needs a SOURCE: a line is NAME SOURCE [--set KEY=VALUE]...
syscontainer: apply $F:4: --set NAME: a fixed variable cannot be set
syscontainer: apply $F:6: 'new2' is already listed on line 5
syscontainer: apply $F: 4 of 6 lines failed"
assert_eq "bad lines: the good ones are applied; an unlisted name is left" "$(echo "$out" | grep '^[a-z0-9]*: ')" "web: up to date
new2: installed docker.io/test/web:1 (IMAGE ID $(sc_id test/web:1))
db: no longer listed; left installed (apply --prune uninstalls it)"
assert_eq "bad lines: nothing of the bad ones on the target" \
	"$(ls "$ROOT/etc/systemd/system" | grep -c -e bad -e worse -e 'new\.')" 0
rs apply --prune "$F"
assert_match "a file with errors is never pruned" "$out" "*db: no longer listed; left installed (not pruned: the file has errors)*"
check "db is still installed" test -L "$CK/db"
printf 'web dockertar:%s/img/web2.tar --bad\n' "$T" > "$T/failing.conf"
rs apply "$T/failing.conf"
assert_eq "a bad line keeps its container recorded (the file still lists it)" \
	"$(sort "$CK/.storage/applied" | tr '\n' ' ')" "db new2 web "

# --- --prune: only what apply installed ---------------------------------------------
rs install --name byhand test/db:1
printf 'web dockertar:%s --set PORT=9090\n' "$T/img/web2.tar" > "$F"
rs apply "$F"
assert_eq "not listed, no --prune: left, said" "$(echo "$out" | grep -e 'listed' | sort)" "db: no longer listed; left installed (apply --prune uninstalls it)
new2: no longer listed; left installed (apply --prune uninstalls it)"
rs apply --prune "$F"
assert_eq "--prune: exit 0" "$rc" 0
assert_eq "--prune: the unlisted ones uninstalled" "$(echo "$out" | grep -e 'uninstalled' | sort)" "db: uninstalled (no longer listed)
new2: uninstalled (no longer listed)"
assert_eq "--prune: what is installed now" "$(cd "$CK" && find . -maxdepth 1 -type l | sort)" "./byhand
./web"
assert_eq "--prune: the record" "$(cat "$CK/.storage/applied")" "web"
rs apply --prune "$F"
assert_eq "--prune again: nothing more to do" "$(echo "$out" | grep -v -e '^Skipping' -e '^Pulled')" "web: up to date"

# --- a registry source; the registry gone at the next boot --------------------------
P=$(free_port)
start_registry reg "$P" "$T/reg-data" || { not_ok "start docker-registry"; done_testing; exit 1; }
REGPID=$!
check "push web:1 to the registry" push "docker-archive:$T/img/web1.tar" "127.0.0.1:$P/test/web:1"
printf 'web dockertar:%s --set PORT=9090\nremote http:127.0.0.1:%s/test/web:1\n' "$T/img/web2.tar" "$P" > "$F"
rs apply "$F"
assert_eq "registry: exit 0" "$rc" 0
assert_match "registry: installed" "$out" "*remote: installed 127.0.0.1:$P/test/web:1 (IMAGE ID $(sc_id test/web:1))"
kill "$REGPID" && wait "$REGPID" 2> /dev/null
before=$(snapshot)
rs apply "$F"
assert_eq "registry gone: exit 0" "$rc" 0
assert_match "registry gone: the stored image is used, saying why" "$errout" "syscontainer: warning: apply remote: pull http:127.0.0.1:$P/test/web:1: GET http*://127.0.0.1:$P/v2/: connect to '127.0.0.1' port $P: Connection refused; using the stored image"
assert_match "registry gone: up to date" "$out" "*remote: up to date"
assert_eq "registry gone: nothing changed" "$(snapshot)" "$before"
printf 'other http:127.0.0.1:%s/test/other:1\n' "$P" > "$T/other.conf"
rs apply "$T/other.conf"
assert_match "registry gone, image never stored: the line fails" "$errout" "syscontainer: apply $T/other.conf:1: pull http:127.0.0.1:$P/test/other:1: GET http*://127.0.0.1:$P/v2/: connect to '127.0.0.1' port $P: Connection refused
syscontainer: apply $T/other.conf: 1 of 1 line failed"

# --- --list-files ---------------------------------------------------------------------
cat > "$T/list.conf" <<EOF
a dockertar:/images/a.tar
b docker-archive:'/images/with blank.tar:test/b:1' --set X=1
c busybox
d dockertar:relative.tar
EOF
sc apply --list-files "$T/list.conf"
assert_eq "--list-files: exit 1 (a bad line)" "$rc" 1
assert_eq "--list-files: the archives of the good lines" "$out" "/images/a.tar
/images/with blank.tar"
assert_eq "--list-files: the bad line as apply reports it" "$errout" "syscontainer: apply $T/list.conf:4: 'dockertar:relative.tar': FILE must be an absolute path in an apply file
syscontainer: apply $T/list.conf: 1 of 4 lines failed"

# --- usage and whole-file errors -------------------------------------------------------
expect_fail "no FILE" 2 "syscontainer: apply: which file?" apply
expect_fail "two FILEs" 2 "syscontainer: apply: one file at a time" apply a b
expect_fail "an unknown option" 2 "syscontainer: apply: unknown option '--force'" apply --force "$F"
expect_fail "--prune with --list-files" 2 "syscontainer: apply: --list-files changes nothing: it goes without --prune" apply --prune --list-files "$F"
expect_fail "a missing FILE" 1 "syscontainer: apply $T/none.conf: open '$T/none.conf': No such file or directory" --root "$ROOT" apply "$T/none.conf"
"$PY" -c 'import sys; open(sys.argv[1], "w").write("".join("c%d busybox\n" % i for i in range(257)))' "$T/many.conf"
expect_fail "too many lines" 1 "syscontainer: apply $T/many.conf: more than 256 containers" --root "$ROOT" apply "$T/many.conf"
done_testing

#!/bin/bash
# End to end in a real booted systemd: a Debian bookworm root
# booted with systemd-nspawn, everything driven through nsenter.  It replays
# the seed walkthrough with two images of our own, built from busybox:
#   kv      -- etcd's part: a key-value service (busybox httpd serving the
#              files of its /data volume on 127.0.0.1:2379); `kvctl set KEY
#              VALUE` run with `runc exec kv` writes a key, as
#              `runc exec etcd etcdctl set ...` did.  All defaults: no /exports.
#   reader  -- flannel's part: reads the key from KV_ENDPOINT, configured with
#              --set as the seed's ETCD_ENDPOINTS, keeps it in its state
#              volume and logs it.  Ships config.json.template, manifest.json
#              (a default endpoint where nothing listens) and tmpfiles.template.
# pull, install (the seed's printed systemctl lines), systemctl start, runc
# exec, the reader reads the value, containers list -a, run NAME, stop,
# uninstall leaving no file behind.  Then the life cycle of the default unit:
# stop leaves it inactive (not failed) and stop/start and kill -s KILL/start
# work even for a PID 1 that ignores SIGTERM; and a Type=notify unit becomes
# active when the container says READY=1 (through runc's NOTIFY_SOCKET).
#
# The debootstrap root is cached between runs, outside the repository, in
# $SC_TEST_CACHE (default /var/cache/syscontainer-tests/bookworm-systemd):
# reused when present, built when not (1-2 minutes, needs Debian's mirror,
# $DEBIAN_MIRROR).  Each run boots an overlay of it, so the cache is never
# written.  This machine kind must run this test: a SKIP fails CI unless
# ALLOW_SKIP is set.
. "$(dirname "$0")/lib.sh"
started=$(date +%s)
PORT=2379

. "$top/tests/helpers/systemd-lib.sh"

cat > "$IMG/kv.sh" <<EOF
#!/bin/sh
# A key-value service: a key is a file under /data, served by busybox httpd.
trap 'kill \$httpd 2>/dev/null; exit 0' TERM
httpd -f -p 127.0.0.1:$PORT -h /data &
httpd=\$!
echo "kv: serving /data on 127.0.0.1:$PORT"
wait \$httpd
EOF
cat > "$IMG/kvctl" <<'EOF'
#!/bin/sh
# kvctl set KEY VALUE | get KEY: etcdctl's two verbs of the walkthrough.
case $1 in
set)	[ $# = 3 ] || exit 2
	k=${2#/}
	mkdir -p "/data/$(dirname "$k")" && printf '%s\n' "$3" > "/data/$k.new" &&
		mv "/data/$k.new" "/data/$k" && echo "$3" ;;
get)	cat "/data/${2#/}" ;;
*)	echo "usage: kvctl set KEY VALUE | get KEY" >&2; exit 2 ;;
esac
EOF
mkimage kv:latest '{"Cmd": ["/kv.sh"], "Volumes": {"/data": {}}}' \
	"kv.sh=$IMG/kv.sh:755" "usr/bin/kvctl=$IMG/kvctl:755"

cat > "$IMG/reader.sh" <<'EOF'
#!/bin/sh
# flannel's part: fetch the network config from the key-value service at
# $KV_ENDPOINT, keep it in /state, say so, and stay up.
trap 'exit 0' TERM
key=atomic.io/network/config
n=0
until wget -q -O /state/config.new "$KV_ENDPOINT/$key"; do
	n=$((n + 1))
	if [ $n -ge 30 ]; then echo "reader: nothing at $KV_ENDPOINT/$key"; exit 1; fi
	sleep 1
done
mv /state/config.new /state/config
echo "reader: $key from $KV_ENDPOINT is $(cat /state/config)"
while :; do sleep 1; done
EOF
cat > "$IMG/reader.manifest.json" <<'EOF'
{"version": "1.0", "defaultValues": {"KV_ENDPOINT": "http://127.0.0.1:1"}}
EOF
cat > "$IMG/reader.config.json.template" <<'EOF'
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": ["/reader.sh"],
    "env": ["PATH=/bin", "KV_ENDPOINT=$KV_ENDPOINT"],
    "cwd": "/",
    "capabilities": { "bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"] },
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": true },
  "hostname": "$NAME",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { "destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"] },
    { "destination": "/state", "type": "bind", "source": "${STATE_DIRECTORY}/${NAME}", "options": ["rbind", "rw"] }
  ],
  "linux": { "namespaces": [ { "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" } ] }
}
EOF
printf 'f ${STATE_DIRECTORY}/${NAME}/endpoint 0644 0 0 - ${KV_ENDPOINT}\n' > "$IMG/reader.tmpfiles.template"
mkimage reader:latest '{"Cmd": ["/reader.sh"]}' "reader.sh=$IMG/reader.sh:755" \
	"exports/manifest.json=$IMG/reader.manifest.json" \
	"exports/config.json.template=$IMG/reader.config.json.template" \
	"exports/tmpfiles.template=$IMG/reader.tmpfiles.template"

# A PID 1 that ignores SIGTERM, with the default unit.  A service that
# crashes (Restart= gives up on it).
mkimage stubborn:latest '{"Cmd": ["/bin/sh", "-c", "trap \"\" TERM; echo stubborn: up; while :; do sleep 1; done"]}'
mkimage crash:latest '{"Cmd": ["/bin/sh", "-c", "echo crash: exiting 3; exit 3"]}'

# Type=notify: READY=1 two seconds after the start, through runc's socket.
cat > "$IMG/notify.sh" <<'EOF'
#!/bin/sh
trap 'exit 0' TERM
echo "notify: starting, NOTIFY_SOCKET=$NOTIFY_SOCKET"
sleep 2
sdnotify READY=1 && echo "notify: ready"
while :; do sleep 1; done
EOF
cat > "$IMG/notify.service" <<'EOF'
[Unit]
Description=$NAME, a Type=notify system container

[Service]
Type=notify
NotifyAccess=all
ExecStartPre=-$EXEC_STOPPOST
ExecStart=$EXEC_START
ExecStop=-$EXEC_STOP
ExecStopPost=-$EXEC_STOPPOST
TimeoutStartSec=30
WorkingDirectory=$DESTDIR

[Install]
WantedBy=multi-user.target
EOF
mkimage notify:latest '{"Cmd": ["/notify.sh"]}' "notify.sh=$IMG/notify.sh:755" \
	"bin/sdnotify=$T/sdnotify:755" "exports/service.template=$IMG/notify.service"

note "images built after $(($(date +%s) - started)) s"
sd_boot

# --- a host without /etc/hosts -----------------------------------------------------
# debootstrap makes none (the overlay's copy goes, should a cache have one);
# the default config binds it: a container must still start (bind only what
# exists).
isc pull dockertar:/root/images/stubborn.tar
assert_eq "pull stubborn" "$rc" 0
E rm -f /etc/hosts
isc install --name nohosts test/stubborn
assert_eq "install on a host without /etc/hosts" "$rc" 0
E systemctl start nohosts
sleep 2
if is_state nohosts active && running nohosts; then ok "a default container starts on a host without /etc/hosts"
else
	not_ok "a default container starts on a host without /etc/hosts"
	E journalctl -u nohosts --no-pager -o cat | grep -m1 'runc run failed' | sed 's/^/#   /'
fi
isc uninstall nohosts
E systemctl reset-failed nohosts.service 2>/dev/null
# The rest runs as on an ordinary host.
E sh -c 'test -e /etc/hosts || printf "127.0.0.1 localhost\n::1 localhost\n" > /etc/hosts'

# --- the seed walkthrough ----------------------------------------------------------
before=$(files)
for i in kv reader; do
	isc pull "dockertar:/root/images/$i.tar"
	assert_eq "pull $i" "$rc" 0
done
isc images list
assert_match "images list shows both" "$out" "*test/kv*test/reader*"
isc install test/kv
assert_eq "install kv: exit 0" "$rc" 0
assert_eq "install kv: the seed's lines, and the place it claims" "$out" "Extracting to /var/lib/containers/atomic/kv.0
Claiming /var/lib/kv/data (made by systemd-tmpfiles)
systemctl daemon-reload
systemd-tmpfiles --create /etc/tmpfiles.d/kv.conf
systemctl enable kv"
[ "$rc" = 0 ] || note "stderr: $errout"
isc install --set "KV_ENDPOINT=http://127.0.0.1:$PORT" test/reader
assert_eq "install reader --set KV_ENDPOINT: exit 0" "$rc" 0
assert_eq "install reader: the seed's lines" "$out" "Extracting to /var/lib/containers/atomic/reader.0
systemctl daemon-reload
systemd-tmpfiles --create /etc/tmpfiles.d/reader.conf
systemctl enable reader"
assert_eq "both enabled" "$(E systemctl is-enabled kv reader | tr '\n' ' ')" "enabled enabled "
check "tmpfiles made kv's volume" E test -d /var/lib/kv/data
assert_eq "the --set value reached reader's tmpfiles template" "$(E cat /var/lib/reader/endpoint)" "http://127.0.0.1:$PORT"
for u in kv reader; do
	v=$(E systemd-analyze verify "/etc/systemd/system/$u.service" 2>&1)
	assert_eq "systemd-analyze verify accepts $u.service" "$?:$v" "0:"
done

E systemctl start kv
wait_for 15 "systemctl start kv: the container runs" running kv
v='{"Network":"10.40.0.0/16"}'
out=$(E runc exec kv kvctl set /atomic.io/network/config "$v" < /dev/null 2>&1)
assert_eq "runc exec kv kvctl set (as runc exec etcd etcdctl set)" "$out" "$v"
wait_for 15 "kv serves the key on 127.0.0.1:$PORT" E busybox wget -q -O /dev/null "http://127.0.0.1:$PORT/atomic.io/network/config"
assert_eq "the key's value" "$(E busybox wget -q -O- "http://127.0.0.1:$PORT/atomic.io/network/config" 2>&1)" "$v"
isc run kv kvctl set /other/key value2
assert_eq "syscontainer run kv CMD: writes a key" "$rc:$out" "0:value2"
assert_match "syscontainer run kv CMD: exec into the running container (its PID 1 is kv's)" \
	"$(E syscontainer run kv cat /proc/1/cmdline < /dev/null | tr '\0' ' ')" "*/kv.sh*"
assert_eq "its key is served" "$(E busybox wget -q -O- "http://127.0.0.1:$PORT/other/key" 2>&1)" "value2"

E systemctl start reader
wait_for 40 "the reader read the value (its state volume)" E grep -qF "$v" /var/lib/reader/config
assert_eq "the reader logged it" "$(E journalctl -u reader -o cat --no-pager | grep '^reader:')" \
	"reader: atomic.io/network/config from http://127.0.0.1:$PORT is $v"

isc containers list -a
assert_eq "containers list -a: the seed's columns" "$(echo "$out" | head -1 | tr -s ' ')" \
	"CONTAINER ID IMAGE COMMAND CREATED STATUS RUNTIME"
assert_eq "containers list -a: both running under runc" "$(echo "$out" | awk 'NR > 1 {print $1, $(NF-1), $NF}')" \
	"kv running runc
reader running runc"
assert_match "containers list -a: images and commands" "$(echo "$out" | awk 'NR > 1 {print $2, $3}' | tr '\n' ' ')" \
	"*test/kv* /kv.sh *test/reader* /reader.sh "
isc containers list -q
assert_eq "containers list -q: IDs only" "$out" "kv
reader"
isc containers list --json
assert_eq "containers list --json" "$(echo "$out" | python3 -c 'import json,sys; print(" ".join(c["id"] + ":" + c["status"] for c in json.load(sys.stdin)))' 2>&1)" \
	"kv:running reader:running"

# --- stop, run NAME, run NAME CMD on a stopped container ---------------------------
t0=$(date +%s)
E systemctl stop reader kv
assert_eq "systemctl stop: both inactive, not failed" "$(E systemctl is-active kv reader | tr '\n' ' ')" "inactive inactive "
assert_eq "systemctl stop: both results success" "$(E systemctl show -p Result --value kv) $(E systemctl show -p Result --value reader)" "success success"
check "a container that handles SIGTERM stops at once (< 5 s)" test $(($(date +%s) - t0)) -lt 5
check "nothing left in runc's state" sh -c "[ -z \"\$(nsenter -t $INIT -a runc list -q)\" ]"
isc containers list
assert_eq "containers list: only running ones, as Atomic" "$(echo "$out" | awk 'NR > 1' | wc -l)" 0
isc containers list -a
assert_eq "containers list -a: stopped ones are inactive" "$(echo "$out" | awk 'NR > 1 {print $1, $(NF-1)}')" "kv inactive
reader inactive"
isc containers list -a -f status=inactive -f name=kv
assert_eq "containers list -f: filters combine" "$(echo "$out" | awk 'NR > 1 {print $1}')" "kv"
isc run kv kvctl get /atomic.io/network/config
assert_eq "run kv CMD while stopped: a throwaway run sees the volume" "$rc:$out" "0:$v"
assert_eq "the throwaway run left no container behind" "$(E runc list -q)" ""
isc run kv
assert_eq "run kv (no CMD) starts the service, as Atomic did" "$rc" 0
wait_for 15 "run kv: the service is active and its container runs" running kv
check "run kv: systemd says active" is_state kv active

# --- uninstall leaves nothing behind ---------------------------------------------------
for u in reader kv; do
	isc uninstall "$u"
	assert_eq "uninstall $u" "$rc" 0
	[ "$rc" = 0 ] || note "stderr: $errout"
done
assert_eq "uninstall: systemd forgot both units" "$(E systemctl list-units --all --no-legend kv.service reader.service)" ""
assert_eq "uninstall: no container left in runc" "$(E runc list -q)" ""
assert_eq "uninstall: /etc and CHECKOUT as before the installs" "$(files)" "$before"
isc containers list -q
assert_eq "containers list: empty" "$out" ""

# --- a PID 1 that ignores SIGTERM ------------------------------------------------------
isc install test/stubborn
assert_eq "install stubborn" "$rc" 0
E systemctl start stubborn
wait_for 15 "stubborn: running" running stubborn
t0=$(date +%s)
E systemctl stop stubborn
took=$(($(date +%s) - t0))
assert_eq "stop: inactive, not failed" "$(E systemctl is-active stubborn)" inactive
assert_eq "stop: result success (no timeout)" "$(E systemctl show -p Result --value stubborn)" success
check "stop: bounded by the unit's grace, not its TimeoutStopSec (${took} s < 20 s)" test "$took" -lt 20
check "stop: the container is gone" sh -c "! nsenter -t $INIT -a runc state stubborn >/dev/null 2>&1"
E systemctl start stubborn
wait_for 15 "stop then start: running again" running stubborn
check "stop then start: active" is_state stubborn active
# SIGKILL reaches runc only (the container lives outside the unit's
# cgroup); ExecStopPost's `delete --force` must take the container with it.
# Restart=on-failure may bring the unit back by itself; start must work
# either way.
old=$(cpid stubborn)
E systemctl kill -s KILL stubborn
wait_for 20 "kill -s KILL: the old container is gone too (ExecStopPost)" sh -c "! nsenter -t $INIT -a test -d /proc/$old"
E systemctl start stubborn
wait_for 15 "kill -s KILL then start: running" running stubborn
check "kill -s KILL then start: active" is_state stubborn active
new=$(cpid stubborn)
check "kill -s KILL then start: a new container ($old -> $new)" test -n "$new" -a "$new" != "$old"
v=$(E systemd-analyze verify /etc/systemd/system/stubborn.service 2>&1)
assert_eq "systemd-analyze verify accepts the default unit" "$?:$v" "0:"
isc uninstall stubborn
assert_eq "uninstall stubborn (stops it)" "$rc" 0
assert_eq "uninstall stubborn: no container left" "$(E runc list -q)" ""

# --- a crashing service: failed, and uninstall forgets it ---------------------------------
isc pull dockertar:/root/images/crash.tar
isc install test/crash
assert_eq "install crash" "$rc" 0
E systemctl start crash
wait_for 30 "a crashing service ends failed once Restart= gives up" is_state crash failed
isc containers list -a
assert_eq "containers list: STATUS failed" "$(echo "$out" | awk '$1 == "crash" {print $(NF-1)}')" failed
isc uninstall crash
assert_eq "uninstall crash" "$rc" 0
# A failed unit whose file is gone stays listed, and keeps the host
# "degraded", until someone runs reset-failed: uninstall must.
assert_eq "uninstall of a failed unit: systemd forgets it (reset-failed)" \
	"$(E systemctl list-units --all --no-legend crash.service)" ""
E systemctl reset-failed crash.service 2> /dev/null

# --- Type=notify ------------------------------------------------------------------------
isc pull dockertar:/root/images/notify.tar
isc install test/notify
assert_eq "install notify" "$rc" 0
v=$(E systemd-analyze verify /etc/systemd/system/notify.service 2>&1)
assert_eq "systemd-analyze verify accepts the notify unit" "$?:$v" "0:"
E systemctl start --no-block notify
sleep 1
assert_eq "Type=notify: activating until READY=1" "$(E systemctl is-active notify)" activating
wait_for 20 "Type=notify: active after READY=1 through runc's NOTIFY_SOCKET" is_state notify active
assert_match "the container saw runc's socket" "$(E journalctl -u notify -o cat --no-pager)" "*NOTIFY_SOCKET=/*notify: ready*"
E systemctl stop notify
assert_eq "Type=notify: stop leaves it inactive" "$(E systemctl is-active notify)" inactive
isc uninstall notify
assert_eq "uninstall notify" "$rc" 0

assert_eq "at the end: no unit of ours left in /etc" "$(E ls /etc/systemd/system | grep -c '^\(kv\|reader\|stubborn\|crash\|notify\|nohosts\)\.service$')" 0
p=$NSPID
stop_machine
check "the container powered off and nspawn exited" sh -c "! kill -0 $p 2>/dev/null"
check "it powered off by itself (no SIGKILL needed)" test -z "$forced"
check "the overlay is unmounted" sh -c "! mountpoint -q '$ROOT'"
note "total $(($(date +%s) - started)) s"
done_testing

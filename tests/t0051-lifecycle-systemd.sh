#!/bin/bash
# A service's life in a real booted systemd: an etcd-like key-value service
# keeps its data under STATE_DIRECTORY; `containers update` to v2 restarts
# it and waits until it is active, `rollback` brings v1 back, an update to
# an image whose service exits 1 rolls back by itself, uninstall is quiet
# and keeps the data, the next install reuses it, `uninstall --purge`
# removes it.
. "$(dirname "$0")/lib.sh"
started=$(date +%s)
PORT=2379
. "$top/tests/helpers/systemd-lib.sh"

# kvN: serves its /data volume and /version on 127.0.0.1:PORT.
for v in 1 2; do
	cat > "$IMG/kv$v.sh" <<EOF
#!/bin/sh
trap 'kill \$httpd 2>/dev/null; exit 0' TERM
mkdir -p /tmp/www && ln -s /data /tmp/www/data && echo v$v > /tmp/www/version
httpd -f -p 127.0.0.1:$PORT -h /tmp/www &
httpd=\$!
echo "kv v$v: serving on 127.0.0.1:$PORT"
wait \$httpd
EOF
	mkimage "kv$v:latest" '{"Cmd": ["/kv.sh"], "Volumes": {"/data": {}}}' "kv.sh=$IMG/kv$v.sh:755"
done
mkimage kvbroken:latest '{"Cmd": ["/bin/sh", "-c", "echo kv broken: exit 1; exit 1"], "Volumes": {"/data": {}}}'
note "images built after $(($(date +%s) - started)) s"
sd_boot

# (busybox-static 1.35's wget crashes on -T: the machine's timeout bounds it)
get() { E busybox timeout 5 busybox wget -q -O - "http://127.0.0.1:$PORT/$1" 2>/dev/null; }
serves() { [ "$(get version)" = "$1" ]; }
follow() { isc images tag "test/$1" test/kv:live; }   # what the container follows
for i in kv1 kv2 kvbroken; do
	isc pull "dockertar:/root/images/$i.tar"
	assert_eq "pull $i" "$rc" 0
done

follow kv1
isc install --name kv test/kv:live
assert_eq "install kv (v1)" "$rc" 0
E systemctl start kv
wait_for 20 "v1 serves" serves v1
E mkdir -p /var/lib/kv/data && E sh -c 'echo precious > /var/lib/kv/data/key'
assert_eq "the data is served from STATE_DIRECTORY" "$(get data/key)" precious

# --- update: restarted, watched, running v2 ---------------------------------------------
follow kv2
isc containers update kv
assert_eq "update to v2: exit 0" "$rc" 0
assert_match "update to v2: says so" "$out" "*Updated kv to docker.io/test/kv:live*kv.0 is kept for rollback*"
assert_eq "update to v2: v2 runs" "$(get version)" v2
assert_eq "update to v2: the data is still there" "$(get data/key)" precious
assert_eq "update to v2: the unit is active" "$(E systemctl is-active kv)" active

# --- rollback -------------------------------------------------------------------------------
isc containers rollback kv
assert_eq "rollback: exit 0" "$rc" 0
wait_for 20 "rollback: v1 runs again" serves v1
assert_eq "rollback: the data" "$(get data/key)" precious

# --- an update that does not come up rolls back by itself -------------------------------------
follow kvbroken
isc containers update --timeout 30 kv
assert_eq "broken update: exit 1" "$rc" 1
assert_match "broken update: one line naming the unit, its result, and the rollback" "$errout" \
	"syscontainer: containers update kv: kv.service failed after the update (*); rolled back to kv.0"
assert_eq "broken update: one line" "$(echo "$errout" | wc -l)" 1
wait_for 20 "broken update: v1 runs again" serves v1
assert_eq "broken update: the live deployment is v1's" "$(E readlink /var/lib/containers/atomic/kv)" kv.0

# --- uninstall keeps the data; the same name reuses it ----------------------------------------
isc uninstall kv
assert_eq "uninstall: exit 0" "$rc" 0
assert_eq "uninstall: no systemctl noise" "$(echo "$out$errout" | grep -c 'Failed\|not loaded')" 0
assert_eq "uninstall: the data stays" "$(E cat /var/lib/kv/data/key)" precious
follow kv2
isc install --name kv test/kv:live
assert_match "install again: the data is reused, and said so" "$out" "*Reusing /var/lib/kv/data, kept from an earlier install of kv*"
E systemctl start kv
wait_for 20 "install again: v2 runs" serves v2
assert_eq "install again: the old data is served" "$(get data/key)" precious
isc uninstall --purge kv
assert_eq "uninstall --purge: exit 0" "$rc" 0
assert_match "uninstall --purge: says what it removed" "$out" "*Removed /var/lib/kv/data*"
check "uninstall --purge: the data is gone" E test ! -e /var/lib/kv/data
assert_eq "nothing of kv is loaded" "$(E systemctl show -p LoadState --value kv)" not-found

# --- apply on the running system: what each boot does, but live ---------------------------------
E sh -c 'echo "kv dockertar:/root/images/kv1.tar" > /root/boot.conf'
isc apply /root/boot.conf
assert_eq "apply, live: exit 0" "$rc" 0
assert_match "apply, live: installed" "$out" "*kv: installed docker.io/test/kv1:latest (IMAGE ID *)"
E systemctl start kv
wait_for 20 "apply, live: v1 serves" serves v1
isc apply /root/boot.conf
assert_eq "apply again, live: up to date" "$(echo "$out" | tail -1)" "kv: up to date"
assert_eq "apply again, live: the service was left alone" "$(E systemctl show -p NRestarts --value kv)/$(E systemctl is-active kv)" 0/active
E sh -c 'echo "kv dockertar:/root/images/kv2.tar" > /root/boot.conf'
isc apply /root/boot.conf
assert_eq "apply, live, another archive: exit 0" "$rc" 0
assert_match "apply, live, another archive: updated" "$out" "*kv: updated to docker.io/test/kv2:latest (IMAGE ID *)"
wait_for 20 "apply, live, another archive: restarted, v2 serves" serves v2
E sh -c ': > /root/boot.conf'
isc apply --prune /root/boot.conf
assert_eq "apply --prune, live: exit 0" "$rc" 0
assert_eq "apply --prune, live: says so, after what it ran" "$(echo "$out" | tail -1)" "kv: uninstalled (no longer listed)"
assert_eq "apply --prune, live: nothing of kv is loaded" "$(E systemctl show -p LoadState --value kv)" not-found

note "total $(($(date +%s) - started)) s"
done_testing

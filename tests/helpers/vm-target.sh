# The target both early-boot VM tests boot (sourced after vm-lib.sh, once
# vm_sysroot and vm_install_product ran): a service image, a corrupt archive
# and a missing one in /etc/syscontainer/boot.conf, and a reporter unit that
# prints on the serial console what the boot did, then powers off.
#
#   web    a busybox container that appends the boot's id to its volume
#          (/var/lib/web/data/boots) and sleeps: proof it ran, each boot
#   bad    a truncated copy of web's archive: its line fails every boot
#   gone   an archive that does not exist when the initramfs is built
# and a registry's certs.d with a CA (which the initramfs gets) and a client
# key (which it must not).
#
# The reporter's lines start "SCTEST: " (vm_lines strips it):
#   web.service STATE / ran this boot: N / boots: N / log: LINE... (the
#   boot's /run/syscontainer/boot.log) / journal: LINE... (what dracut's
#   pre-pivot service logged) / checkout on DEVICE / beneath /var: FILES
#   (when /var is a mount: what the root file system has under it)

mkdir -p "$SYSROOT/usr/share/sctest" "$SYSROOT/etc/syscontainer" "$SYSROOT/usr/local/sbin"
cat > "$T/web.json" <<EOF
{"config": {"config": {"Cmd": ["/bin/sh", "-c", "cat /proc/sys/kernel/random/boot_id >> /data/boots && trap 'exit 0' TERM && while :; do sleep 1 & wait; done"],
                       "Volumes": {"/data": {}}}},
 "layers": [[{"path": "bin/", "dir": true}, {"path": "bin/busybox", "from": "/bin/busybox", "mode": 493},
             {"path": "bin/sh", "symlink": "busybox"}, {"path": "bin/cat", "symlink": "busybox"},
             {"path": "bin/sleep", "symlink": "busybox"}]]}
EOF
python3 "$top/tests/helpers/mkarchive.py" "$SYSROOT/usr/share/sctest/web.tar" test/web:1 "$T/web.json"
head -c 3000 "$SYSROOT/usr/share/sctest/web.tar" > "$SYSROOT/usr/share/sctest/bad.tar"
cat > "$SYSROOT/etc/syscontainer/boot.conf" <<EOF
# what this machine runs
web dockertar:/usr/share/sctest/web.tar
bad dockertar:/usr/share/sctest/bad.tar
gone dockertar:/usr/share/sctest/gone.tar
EOF
# What the binary says of the bad archives, in the target as at boot.
vm_chroot /usr/local/bin/syscontainer --root /tmp pull dockertar:/usr/share/sctest/bad.tar \
	> /dev/null 2> "$T/bad.err"
VM_BAD_ERR=$(sed 's/^syscontainer: pull [^ ]*: //' "$T/bad.err")
VM_WEB_ID=$("$SC" pull "dockertar:$SYSROOT/usr/share/sctest/web.tar" |
	sed -n 's/.*(IMAGE ID \([0-9a-f]*\)).*/\1/p')

cat > "$SYSROOT/usr/local/sbin/sctest-report" <<'EOF'
#!/bin/sh
# early-boot test: what this boot did, on the serial console
exec > /dev/ttyS0 2>&1
id=$(cat /proc/sys/kernel/random/boot_id)
n=0
while [ $n -lt 180 ] && ! grep -qx "$id" /var/lib/web/data/boots 2>/dev/null; do
	sleep 1
	n=$((n + 1))
done
echo "SCTEST: web.service $(systemctl is-active web.service)"
echo "SCTEST: ran this boot: $(grep -cx "$id" /var/lib/web/data/boots 2>/dev/null)"
echo "SCTEST: boots: $(wc -l < /var/lib/web/data/boots 2>/dev/null)"
echo "SCTEST: checkout on $(findmnt -n -o SOURCE --target /var/lib/containers/atomic)"
if mountpoint -q /var; then
	mkdir -p /run/sctest-root && mount --bind / /run/sctest-root &&
		echo "SCTEST: beneath /var: $(ls -A /run/sctest-root/var | tr '\n' ' ')"
	umount /run/sctest-root
fi
sed 's/^/SCTEST: log: /' /run/syscontainer/boot.log
journalctl -b -o cat -u dracut-pre-pivot.service | sed 's/^/SCTEST: journal: /'
echo "SCTEST: uptime $(cut -d' ' -f1 /proc/uptime)"
sync
systemctl --force poweroff
EOF
chmod 755 "$SYSROOT/usr/local/sbin/sctest-report"
cat > "$SYSROOT/etc/systemd/system/sctest-report.service" <<'EOF'
[Unit]
Description=early-boot test: report on the serial console, then power off
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/sctest-report

[Install]
WantedBy=multi-user.target
EOF
ln -s /etc/systemd/system/sctest-report.service \
	"$SYSROOT/etc/systemd/system/multi-user.target.wants/sctest-report.service"
# a registry's CA (goes into the initramfs) and a client key (never does)
mkdir -p "$SYSROOT/etc/containers/certs.d/registry.example:5000"
echo "not really a CA" > "$SYSROOT/etc/containers/certs.d/registry.example:5000/ca.crt"
echo "not really a key" > "$SYSROOT/etc/containers/certs.d/registry.example:5000/client.key"
printf '127.0.0.1 localhost\n' > "$SYSROOT/etc/hosts"
: > "$SYSROOT/etc/resolv.conf"

# vm_expect_boot NAME N: boot N of NAME went as it must: web ran this boot
# (the N-th boot it ran), the log says web was installed (N=1) or up to
# date, and the two bad lines failed, exactly, without stopping the boot.
vm_expect_boot() {
	local lines log web
	lines=$(vm_lines "$1")
	log=$(echo "$lines" | sed -n 's/^log: //p')
	if [ "$2" = 1 ]; then
		web="Extracting to /var/lib/containers/atomic/web.0
Claiming /var/lib/web/data (made by systemd-tmpfiles)
systemd is not running here: unit reload and tmpfiles happen at boot
web: installed docker.io/test/web:1 (IMAGE ID $VM_WEB_ID)"
	else
		web="web: up to date"
	fi
	assert_eq "$1: web.service runs" "$(echo "$lines" | sed -n 's/^web.service //p')" active
	assert_eq "$1: the container ran this boot" "$(echo "$lines" | sed -n 's/^ran this boot: //p')" 1
	assert_eq "$1: boots the container ran" "$(echo "$lines" | sed -n 's/^boots: //p')" "$2"
	assert_eq "$1: what apply did (/run/syscontainer/boot.log)" \
		"$(echo "$log" | grep -v -e '^Pulling layer' -e '^Stored layer' -e '^Skipping layer' -e '^Pulled ')" "$web
syscontainer: apply /etc/syscontainer/boot.conf:3: pull dockertar:/usr/share/sctest/bad.tar: $VM_BAD_ERR
syscontainer: apply /etc/syscontainer/boot.conf:4: pull dockertar:/usr/share/sctest/gone.tar: open '/usr/share/sctest/gone.tar': No such file or directory
syscontainer: apply /etc/syscontainer/boot.conf: 2 of 3 lines failed"
	[ -n "$lines" ] || { note "$1: console tail:"; tail -30 "$T/$1.console" | sed 's/^/#   /'; }
	note "$1: $(echo "$lines" | sed -n 's/^uptime //p') s of guest uptime at the report"
}

# A real booted systemd for the tests: a Debian bookworm root (cached
# between runs, outside the repository, in $SC_TEST_CACHE, default
# /var/cache/syscontainer-tests/bookworm-systemd; built by debootstrap when
# missing, 1-2 minutes, from $DEBIAN_MIRROR), booted as an overlay with
# systemd-nspawn, everything driven through nsenter.
#
# Sourced by a test after lib.sh: checks what it needs (skipping or failing
# as lib.sh's skip_or_fail says), prepares $ROOT (the overlay, with the
# binary, runc and busybox in it) and defines:
#   mkimage NAME:TAG CONFIG-JSON [PATH=HOSTFILE[:MODE]]...
#                    an image on a shared busybox layer, as
#                    /root/images/<name>.tar in the container's root
#   sd_boot          boot it (after the images are built); the test ends
#                    here with a failure when systemd does not come up
#   E CMD...         run CMD in the container; isc ARGS... runs syscontainer
#                    there ($rc, $out, $errout)
#   wait_for, is_state, running, cpid, files: see below
# The container is powered off (by PID) at exit.
# --- what the test needs ---------------------------------------------------------
if [ -n "${SANITIZE:-}" ]; then
	skip "the booted systemd runs the static release binary, not SANITIZE=1's"
	done_testing
	exit
fi
need=
[ "$(id -u)" = 0 ] || need="$need root"
for c in debootstrap systemd-nspawn nsenter runc pgrep flock timeout python3; do
	command -v "$c" > /dev/null || need="$need $c"
done
file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' || need="$need busybox-static"
file -L "$SC_FILE" 2>/dev/null | grep -q 'statically linked' || need="$need a-static-$SC_FILE"
# The notify image needs an sd_notify client; busybox has none: ours, static.
for cc in musl-gcc cc; do
	$cc -static -Os -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -o "$T/sdnotify" \
		"$top/tests/helpers/sdnotify.c" 2> /dev/null && break
done
[ -x "$T/sdnotify" ] || need="$need a-static-C-compiler(musl-gcc)"
if [ -n "$need" ]; then
	skip_or_fail "a booted systemd needs:$need"
	done_testing
	exit
fi

# --- the cached Debian root ------------------------------------------------------
CACHE=${SC_TEST_CACHE:-/var/cache/syscontainer-tests}
BASE=$CACHE/bookworm-systemd
if [ ! -d "$BASE" ]; then
	note "building the cached systemd root in $BASE (debootstrap, 1-2 minutes)"
	mkdir -p "$CACHE"
	# One builder at a time; the root appears under its name only when complete.
	(
		flock 9
		[ -d "$BASE" ] && exit 0
		rm -rf "$BASE.tmp"
		debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$BASE.tmp" \
			"${DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$T/debootstrap.log" 2>&1 &&
			mv "$BASE.tmp" "$BASE"
	) 9> "$CACHE/.lock"
fi
if [ ! -x "$BASE/lib/systemd/systemd" ]; then
	tail -5 "$T/debootstrap.log" 2>/dev/null | sed 's/^/#   /'
	skip_or_fail "no systemd root: debootstrap into $BASE failed (is Debian's mirror reachable?)"
	done_testing
	exit
fi
note "cached root ready after $(($(date +%s) - started)) s"

# --- boot it ---------------------------------------------------------------------
ROOT=$T/root
mkdir -p "$ROOT" "$T/upper" "$T/work"
if mount -t overlay overlay -o "lowerdir=$BASE,upperdir=$T/upper,workdir=$T/work" "$ROOT" 2>/dev/null; then
	overlay=1
else
	note "overlayfs unavailable: copying the cached root"
	overlay=
	cp -a "$BASE/." "$ROOT/"
fi
NSPID= INIT= forced=
stop_machine() {
	if [ -n "$NSPID" ] && kill -0 "$NSPID" 2>/dev/null; then
		# SIGTERM: nspawn asks the container's systemd to power off.
		kill -TERM "$NSPID"
		for _ in $(seq 150); do kill -0 "$NSPID" 2>/dev/null || break; sleep 0.2; done
		if kill -0 "$NSPID" 2>/dev/null; then
			note "the container did not power off in 30 s: killing it"
			forced=1
			[ -n "$INIT" ] && kill -KILL "$INIT" 2>/dev/null
			kill -KILL "$NSPID" 2>/dev/null
		fi
		wait "$NSPID" 2>/dev/null
	fi
	NSPID=
	if [ -n "$overlay" ]; then
		umount "$ROOT" 2>/dev/null || umount -l "$ROOT"
		overlay=
	fi
}
trap 'stop_machine; _cleanup' EXIT

# What the container gets: the binary, runc where Debian puts it, busybox for
# the test's own probes, and the images.
cp "$SC_FILE" "$ROOT/usr/local/bin/syscontainer"
cp "$(command -v runc)" "$ROOT/usr/sbin/runc"
cp /bin/busybox "$ROOT/usr/local/bin/busybox"
mkdir -p "$ROOT/root/images"

# Images: a shared busybox layer (busybox and every applet as a link) and a
# layer of each image's own files.
IMG=$T/img
mkdir -p "$IMG"
# mkimage NAME:TAG CONFIG-JSON [PATH=HOSTFILE[:MODE]]...: build
# /root/images/<name>.tar in the container's root.
mkimage() {
	python3 - "$@" > "$IMG/spec.json" <<-'EOF'
	import json, subprocess, sys
	ref, config, files = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
	apps = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True).stdout.split()
	base = [{"path": "bin/", "dir": True}, {"path": "bin/busybox", "from": "/bin/busybox", "mode": 0o755}]
	base += [{"path": "bin/" + a, "symlink": "busybox"} for a in sorted(apps) if a != "busybox"]
	top, dirs = [], set()
	for f in files:
	    path, src = f.split("=", 1)
	    src, _, mode = src.partition(":")
	    parts = path.split("/")[:-1]
	    for i in range(len(parts)):
	        d = "/".join(parts[:i + 1])
	        if d not in dirs and d != "bin":
	            dirs.add(d)
	            top.append({"path": d + "/", "dir": True})
	    top.append({"path": path, "from": src, "mode": int(mode or "644", 8)})
	print(json.dumps({"config": {"config": config}, "layers": [base, top]}))
	EOF
	python3 "$top/tests/helpers/mkarchive.py" "$ROOT/root/images/${1%%:*}.tar" "test/$1" "$IMG/spec.json"
}

# sd_boot: start the machine and wait for its systemd.
sd_boot() {
	# --private-network: the container's loopback is its own, so the services'
	# fixed port cannot meet anything of the host's.
	SYSTEMD_SECCOMP=0 SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn --register=no --keep-unit \
		--capability=all --private-network --console=read-only -D "$ROOT" -M "sctest$$" -b \
		< /dev/null > "$T/nspawn.log" 2>&1 &
	NSPID=$!
	# The container's PID 1: the child (or grandchild) of nspawn named systemd.
	for _ in $(seq 100); do
		for p in $(pgrep -P "$NSPID"); do
			for q in "$p" $(pgrep -P "$p"); do
				[ "$(cat "/proc/$q/comm" 2>/dev/null)" = systemd ] && INIT=$q
			done
		done
		[ -n "$INIT" ] && break
		sleep 0.1
	done
	# Until the system bus is up, systemctl cannot even ask: poll, bounded.
	booted=
	if [ -n "$INIT" ]; then
		end=$(($(date +%s) + 90))
		while [ "$(date +%s)" -lt "$end" ]; do
			booted=$(timeout 30 nsenter -t "$INIT" -a systemctl is-system-running --wait 2>&1)
			case $booted in running|degraded|stopping|offline) break ;; esac
			sleep 0.2
		done
	fi
	case $booted in
	running|degraded) ok "the container's systemd is up ($booted)" ;;
	*)	not_ok "the container's systemd is up (pid '$INIT', state '$booted')"
		tail -20 "$T/nspawn.log" | sed 's/^/#   /'
		done_testing
		exit 1 ;;
	esac
	[ "$booted" = degraded ] && E systemctl --failed --no-legend | sed 's/^/# failed: /'
	note "booted after $(($(date +%s) - started)) s"
}

# E CMD...: run in the container, with a clean environment; no command may
# hang the test (the longest, a stop of the SIGTERM-ignoring container,
# takes ~12 s).
E() {
	timeout 90 nsenter -t "$INIT" -a env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LC_ALL=C SYSTEMD_PAGER=cat SYSTEMD_COLORS=0 "$@"
}
# isc ARGS...: syscontainer in the container; sets $rc, $out, $errout.
isc() {
	E syscontainer "$@" > "$T/.out" 2> "$T/.err" < /dev/null
	rc=$?
	out=$(cat "$T/.out")
	errout=$(cat "$T/.err")
}
# wait_for SECONDS DESCRIPTION CMD...: poll CMD until it succeeds, bounded.
wait_for() {
	_s=$1 _d=$2; shift 2
	_end=$(($(date +%s) + _s))
	while ! "$@" > /dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$_end" ]; then not_ok "$_d (waited $_s s)"; return 1; fi
		sleep 0.2
	done
	ok "$_d"
}
is_state() { [ "$(E systemctl is-active "$1")" = "$2" ]; }
running() { E runc state "$1" 2>/dev/null | grep -q '"status": "running"'; }
cpid() { E runc state "$1" 2>/dev/null | sed -n 's/^ *"pid": *\([0-9]*\).*/\1/p'; }
# The file lists uninstall must restore.
files() { E find /etc /var/lib/containers/atomic -path /var/lib/containers/atomic/.storage -prune -o -printf '%p %y\n' | sort; }


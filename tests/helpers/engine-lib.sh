# Shared by the docker: tests (t0016, t0017), sourced after tests/lib.sh and
# tests/helpers/pull-lib.sh: podman's Docker-compatible service on a private
# socket with its own storage, and the hand-written engine of engine.py,
# started here and stopped by PID at exit (track_pid).

# contained DIR CMD...: see contained.sh.
contained() { sh "$top/tests/helpers/contained.sh" "$@"; }

ENGINE=$T/engine
ENGINE_SOCK=$ENGINE/docker.sock

# podman_t ARGS...: podman on the test's own storage, contained;
# podman_exec ARGS...: the same, replacing the calling (sub)shell, so that a
# background `( podman_exec ... ) &` leaves podman's own PID in $!.
podman_t() { _podman "" "$@"; }
podman_exec() { _podman exec "$@"; }
_podman() {
	_e_x=$1
	shift
	mkdir -p "$ENGINE/tmp"
	$_e_x sh "$top/tests/helpers/contained.sh" "$ENGINE/ov" env TMPDIR="$ENGINE/tmp" \
		podman --root "$ENGINE/storage" --runroot "$ENGINE/run" --tmpdir "$ENGINE/libpod" \
		--storage-driver=vfs --events-backend=file --cgroup-manager=cgroupfs "$@"
}

# wait_socket PATH: until something accepts connections there (10 s at most).
wait_socket() {
	for _e_i in $(seq 100); do
		curl -s --max-time 1 --unix-socket "$1" http://d/_ping > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# start_podman ARCHIVE...: load each docker-archive into podman's storage,
# then serve the Docker Engine API on $ENGINE_SOCK.
start_podman() {
	for _e_a in "$@"; do
		podman_t load -i "$_e_a" > "$T/.podman-load" 2>&1 ||
			{ sed 's/^/#   /' "$T/.podman-load"; return 1; }
	done
	(podman_exec system service --time=0 "unix://$ENGINE_SOCK" > "$ENGINE/log" 2>&1) &
	track_pid $!
	wait_socket "$ENGINE_SOCK" || { sed 's/^/#   /' "$ENGINE/log" | tail -5; return 1; }
}

# fake_engine SOCKET MODE [ARCHIVE]: engine.py there, until the test ends.
fake_engine() {
	"$PY" "$top/tests/helpers/engine.py" "$@" > "$1.out" 2>&1 &
	track_pid $!
	for _e_i in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

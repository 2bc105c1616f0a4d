# Shared by the registry tests (t0030-t0033), sourced after tests/lib.sh and
# tests/helpers/pull-lib.sh: Debian's docker-registry (distribution 2.8),
# the token server and the corrupting proxy of the test suite, all on free
# ports of 127.0.0.1, started here and stopped by PID at exit (track_pid).

# free_port: a TCP port of 127.0.0.1 nobody listens on right now.
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT: until something accepts connections there (10 s at most).
wait_port() {
	for _rl_i in $(seq 100); do
		(exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null && return 0
		sleep 0.1
	done
	echo "# nothing listens on port $1" >&2
	return 1
}

# start_badproxy DIR PORT UPSTREAM_PORT: tests/helpers/badproxy.py on PORT in
# front of the registry on UPSTREAM_PORT, its mode file and log in DIR;
# returns once it accepts connections.
start_badproxy() {
	mkdir -p "$1"
	"$PY" "$top/tests/helpers/badproxy.py" "$1" "$2" "$3" > "$1/out" 2>&1 &
	track_pid $!
	wait_port "$2"
}

# start_registry NAME PORT DATA [HTTP_YAML] [TOP_YAML]: a registry with its
# config in $T/NAME, storage in DATA, its log (access log included) in
# $T/NAME/log.  HTTP_YAML is indented under http:, TOP_YAML is top level.
start_registry() {
	_rl_d=$T/$1
	mkdir -p "$_rl_d" "$3"
	cat > "$_rl_d/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $3
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$2
  secret: not-a-secret
$(printf '%s\n' "${4:-}" | sed 's/^/  /')
${5:-}
EOF
	docker-registry serve "$_rl_d/config.yml" > "$_rl_d/log" 2>&1 &
	track_pid $!
	wait_port "$2" || { sed 's/^/#   /' "$_rl_d/log" | tail -5; return 1; }
}

# push SRC DEST [SKOPEO-OPTIONS...]: skopeo copy to docker://DEST.
push() {
	_rl_src=$1 _rl_dst=$2
	shift 2
	skopeo copy --quiet --dest-tls-verify=false "$@" "$_rl_src" "docker://$_rl_dst" > "$T/.push" 2>&1 ||
		{ sed 's/^/#   /' "$T/.push"; return 1; }
}

# blob_gets LOG DIGEST: how many times we (not skopeo) fetched that blob.
blob_gets() {
	grep "\"GET /v2/[^ ]*/blobs/$2 " "$1" | grep -c '"syscontainer/'
}

# manifest_of PORT NAME REF [CURL-OPTIONS...]: the manifest as the registry
# serves it to us (the same Accept list), raw bytes to stdout.
manifest_of() {
	_rl_p=$1 _rl_n=$2 _rl_r=$3
	shift 3
	curl -sf "$@" -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json' \
		"http://127.0.0.1:$_rl_p/v2/$_rl_n/manifests/$_rl_r"
}

# json_get EXPR < JSON: a Python expression over the document (bound to d);
# lists print one item a line.
json_get() {
	"$PY" -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1], {"d": d})
for x in (v if isinstance(v, list) else [v]):
    print(x)
' "$1"
}

# unchanged DESC: no image ref in $R and a clean fsck (README's
# "unchanged": verified layer refs may stay).
unchanged() {
	assert_eq "$1: no image ref" "$(image_refs)" ""
	if [ -d "$R" ]; then assert_fsck "$R" "$1"; else ok "$1: no repository even"; fi
}

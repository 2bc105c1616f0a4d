#!/bin/sh
# The test runner behind `make check`: every C unit test binary (TAP) given as
# an argument, the fuzz corpus replay, then every tests/tNNNN-*.sh (or those
# SC_TESTS names, e.g. "t0001 t0010"), each checked to leave the host's own
# places alone.  Prints one line per test file and ends with "N passed, N
# failed[, N skipped]"; exits non-zero on any failure.
# Another architecture's programs run under the emulator SC_EMU (qemu-user).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
logs=$top/.build/test-logs${SC_EMU:+-$SC_ARCH}
rm -rf "$logs" && mkdir -p "$logs"
pass=0 fail=0 skip=0 bad_files=

# count FILE NAME RC: tally TAP lines of one test file's output.
count() {
	p=$(grep -c '^ok ' "$1" | tr -d ' ')
	s=$(grep -c '^ok .*# SKIP' "$1" | tr -d ' ')
	f=$(grep -c '^not ok ' "$1" | tr -d ' ')
	p=$((p - s))
	if [ "$3" != 0 ] && [ "$f" = 0 ]; then
		echo "not ok - $2 exited with status $3" >> "$1"
		f=1
	fi
	if [ $((p + f + s)) = 0 ]; then
		echo "not ok - $2 ran no assertion" >> "$1"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [ "$f" != 0 ]; then
		printf 'FAIL %-40s %d passed, %d failed\n' "$2" "$p" "$f"
		bad_files="$bad_files $1"
	else
		printf 'PASS %-40s %d passed%s\n' "$2" "$p" "$([ "$s" = 0 ] || echo ", $s skipped")"
	fi
	grep '# SKIP' "$1" | sed 's/^/     /'
}

for u in "$@"; do
	name=unit/$(basename "$u")
	log=$logs/$(basename "$u").log
	${SC_EMU:-} "$u" > "$log" 2>&1
	count "$log" "$name" $?
done

# Replay the committed fuzz corpus through every target.
log=$logs/fuzz-replay.log
: > "$log"
n=0
for t in $(${SC_EMU:-} "$SC_BUILD/fuzz-replay" --list); do
	for f in "$top/tests/fuzz/corpus/$t"/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		if ${SC_EMU:-} "$SC_BUILD/fuzz-replay" "$t" "$f" >> "$log" 2>&1; then
			echo "ok $n - fuzz corpus $t/$(basename "$f")" >> "$log"
		else
			echo "not ok $n - fuzz corpus $t/$(basename "$f")" >> "$log"
		fi
	done
done
count "$log" fuzz-replay 0

# The host places the product writes: tests work in their own temporary
# roots and must leave these as they found them.  Compared after each test
# file; a change fails the test that made it.  (skopeo's cache beside
# atomic/ is not compared: other programs write it; t0061 checks that the
# suite's skopeo does not.)
host_places="/var/lib/containers/atomic /etc/systemd/system /etc/tmpfiles.d /ostree
	/usr/local/bin /etc/containers /run/containers"
host_state() {
	for p in $host_places; do
		if [ -e "$p" ] || [ -L "$p" ]; then
			find "$p" -xdev -printf '%p %y %m %U:%G %s %T@\n' 2> /dev/null | sort
		else
			echo "$p absent"
		fi
	done
}
host_state > "$logs/host.before"

for t in "$top"/tests/t[0-9][0-9][0-9][0-9]-*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t")
	if [ -n "${SC_TESTS:-}" ]; then
		case " $SC_TESTS " in *" ${name%%-*} "*) ;; *) continue ;; esac
	fi
	log=$logs/$name.log
	(cd "$top" && bash "$t") > "$log" 2>&1 < /dev/null
	rc=$?
	host_state > "$logs/host.after"
	if ! cmp -s "$logs/host.before" "$logs/host.after"; then
		echo "not ok - $name changed the host:" >> "$log"
		diff "$logs/host.before" "$logs/host.after" | grep '^[<>]' | head -10 | sed 's/^/#   /' >> "$log"
		mv "$logs/host.after" "$logs/host.before"
	fi
	count "$log" "$name" $rc
done

for f in $bad_files; do
	printf '\n--- %s\n' "$f"
	grep -n -B3 -A12 '^not ok' "$f" | head -60
done
echo
if [ "$skip" != 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" = 0 ]

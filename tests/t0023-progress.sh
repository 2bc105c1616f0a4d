#!/bin/bash
# Progress a person can read (issue 17): in a real pseudo-terminal (script),
# each layer has one line redrawn in place through its phases and cut to the
# terminal's width, a warning meanwhile stays one whole line, a checkout
# shows a spinner then its time; the journal ($JOURNAL_STREAM naming stdout)
# and a pipe get a start and an end line per layer and no redraws; --quiet
# gets nothing but errors, also on a terminal.  What a terminal shows is
# rendered by tests/helpers/vt.py from the bytes written.
. "$(dirname "$0")/lib.sh"
. "$top/tests/helpers/pull-lib.sh"
binary=$SC                # layer content, before offline wraps $SC
offline
command -v script >/dev/null || { skip_or_fail "script (util-linux) is not installed"; done_testing; exit; }
ROOT=$T/root
export ATOMIC_OSTREE_CHECKOUT_PATH=/var/lib/containers/atomic
mkdir -p "$ROOT/usr/bin"
printf '#!/bin/sh\nexit 0\n' > "$ROOT/usr/bin/runc" && chmod +x "$ROOT/usr/bin/runc"

# Two layers of a MB or two (the binary under test as content), the second
# with a fifo OSTree cannot store: a warning in the middle of the display.
python3 "$top/tests/helpers/mkarchive.py" "$T/two.tar" test/two:1 /dev/stdin > /dev/null <<SPEC
{"layers": [[{"path": "a", "from": "$binary"}],
            [{"path": "b", "from": "$binary"}, {"path": "c", "data": "c"}, {"path": "p", "fifo": true}]],
 "config": {"config": {"Cmd": ["/a"]}}}
SPEC
mapfile -t diffs < <(python3 -c 'import json,sys,tarfile; t=tarfile.open(sys.argv[1]); m=json.load(t.extractfile("manifest.json"))[0]; c=json.load(t.extractfile(m["Config"])); print("\n".join(d[7:] for d in c["rootfs"]["diff_ids"]))' "$T/two.tar")
cfg=$(python3 -c 'import json,sys,tarfile; t=tarfile.open(sys.argv[1]); print(json.load(t.extractfile("manifest.json"))[0]["Config"][:12])' "$T/two.tar")
# each layer's size as the display prints it (decimal units, three digits)
mapfile -t sizes < <(python3 -c 'import json,sys,tarfile; t=tarfile.open(sys.argv[1]); m=json.load(t.extractfile("manifest.json"))[0]; print("\n".join("%.2f MB" % (t.getmember(l).size / 1e6) for l in m["Layers"]))  # MB-sized layers' "$T/two.tar")

# on_tty COLUMNS NAME CMD...: run CMD in a pseudo-terminal of that width;
# $T/NAME.raw gets the bytes, $T/NAME.screen what the terminal shows.
on_tty() {
	local cols=$1 name=$2
	shift 2
	script -qec "stty cols $cols rows 40; $(printf '%q ' "$@")" /dev/null > "$T/$name.raw" 2>&1
	rc=$?
	python3 "$top/tests/helpers/vt.py" "$cols" < "$T/$name.raw" > "$T/$name.screen"
	vt=$?
}

# --- a terminal ------------------------------------------------------------------
on_tty 100 wide env TERM=xterm "$SC" --root "$ROOT" pull "dockertar:$T/two.tar"
assert_eq "terminal: exit 0, and the terminal understood every byte" "$rc:$vt" "0:0"
assert_match "terminal: one line per layer, done, the warning whole, the summary" "$(cat "$T/wide.screen")" \
"${diffs[0]:0:12}  done      ${sizes[0]} in *.* s, 1 entry
syscontainer: warning: layer ${diffs[1]:0:12}: skipped fifo 'p' (OSTree cannot store it)
${diffs[1]:0:12}  done      ${sizes[1]} in *.* s, 2 entries
Pulled docker.io/test/two:1 (IMAGE ID $cfg): 2 layers stored, 0 skipped, *"
raw=$(tr '\r\033' '^~' < "$T/wide.raw")
assert_match "terminal: the line was redrawn through reading, then storing" "$raw" \
	"*${diffs[0]:0:12}  reading   0 B / ${sizes[0]}*^${diffs[0]:0:12}  storing   ${sizes[0]}*^${diffs[0]:0:12}  done*"
assert_match "terminal: each redraw erases what is left of the line" "$raw" "*reading*~[K^*"

on_tty 100 again env TERM=xterm "$SC" --root "$ROOT" pull "dockertar:$T/two.tar"
assert_eq "terminal, stored already: skipped, each its own line" "$(cat "$T/again.screen")" \
"${diffs[0]:0:12}  skipped   already present
${diffs[1]:0:12}  skipped   already present
Image is up to date for docker.io/test/two:1 (IMAGE ID $cfg)"

"$SC" --root "$ROOT" images delete test/two:1 > /dev/null && "$SC" --root "$ROOT" images prune > /dev/null
on_tty 27 narrow env TERM=xterm "$SC" --root "$ROOT" pull "dockertar:$T/two.tar"
assert_eq "a narrow terminal: exit 0" "$rc:$vt" "0:0"
# What 27 columns must show: the layer lines cut to 26 characters (before
# their timings), every other line wrapped by the terminal.
want=$(python3 - "$T/wide.screen" "${diffs[0]:0:12}" "${diffs[1]:0:12}" <<'PY'
import sys
for l in open(sys.argv[1]).read().splitlines():
    if l.startswith((sys.argv[2], sys.argv[3])):
        print(l[:26])
    else:
        print("\n".join(l[i:i + 27].rstrip() for i in range(0, len(l), 27)))
PY
)
assert_eq "a narrow terminal: layer lines cut to its width, never wrapped, nothing left behind" \
	"$(cat "$T/narrow.screen")" "$want"

"$SC" --root "$ROOT" images delete test/two:1 > /dev/null && "$SC" --root "$ROOT" images prune > /dev/null
on_tty 100 quiet env TERM=xterm "$SC" --root "$ROOT" --quiet pull "dockertar:$T/two.tar"
assert_eq "terminal, --quiet: nothing at all, not even the warning" "$rc:$(cat "$T/quiet.raw")" "0:"

# A checkout: a spinner while it runs, then the line with its time.
on_tty 100 install env TERM=xterm "$SC" --root "$ROOT" install --name two test/two:1
assert_eq "install on a terminal: exit 0" "$rc:$vt" "0:0"
assert_match "install on a terminal: Extracting to, then how long it took" "$(cat "$T/install.screen")" \
	"Extracting to /var/lib/containers/atomic/two.0 (*.* s)
systemd is not running here*"
assert_match "install on a terminal: the spinner was drawn" "$(tr '\r\033' '^~' < "$T/install.raw")" \
	"Extracting to /var/lib/containers/atomic/two.0  0 s |~[K*"

# --- the journal and pipes: lines, no redraws ----------------------------------------
"$SC" --root "$ROOT" uninstall two > /dev/null
"$SC" --root "$ROOT" images delete test/two:1 > /dev/null && "$SC" --root "$ROOT" images prune > /dev/null
# systemd sets JOURNAL_STREAM to the device:inode of the stream it gave
# the service; here that stream is the pseudo-terminal itself
on_tty 100 journal sh -c 'JOURNAL_STREAM=$(stat -L -c %d:%i /proc/$$/fd/1) TERM=xterm exec "$@"' - \
	"$SC" --root "$ROOT" pull "dockertar:$T/two.tar"
lines="Pulling layer ${diffs[0]}
Stored layer ${diffs[0]:0:12}: ${sizes[0]}, 1 entry
Pulling layer ${diffs[1]}
syscontainer: warning: layer ${diffs[1]:0:12}: skipped fifo 'p' (OSTree cannot store it)
Stored layer ${diffs[1]:0:12}: ${sizes[1]}, 2 entries
Pulled docker.io/test/two:1 (IMAGE ID $cfg): 2 layers stored, 0 skipped, *"
assert_match "journal: a start and an end line per layer" "$(tr -d '\r' < "$T/journal.raw")" "$lines"
assert_eq "journal: no redraw (a carriage return not ending a line), no escape sequence" \
	"$(python3 -c 'import re,sys; print(len(re.findall(rb"\r(?!\n)|\x1b", open(sys.argv[1], "rb").read())))' "$T/journal.raw")" 0

"$SC" --root "$ROOT" images delete test/two:1 > /dev/null && "$SC" --root "$ROOT" images prune > /dev/null
on_tty 100 inherited sh -c 'JOURNAL_STREAM=8:1 TERM=xterm exec "$@"' - "$SC" --root "$ROOT" pull "dockertar:$T/two.tar"
assert_match "JOURNAL_STREAM of another stream (inherited): the terminal is still redrawn" \
	"$(tr '\r\033' '^~' < "$T/inherited.raw")" "*reading*~[K^*"

"$SC" --root "$ROOT" images delete test/two:1 > /dev/null && "$SC" --root "$ROOT" images prune > /dev/null
sc --root "$ROOT" pull "dockertar:$T/two.tar"
assert_match "a pipe: the same lines as the journal, but for the warning" "$out" "$(echo "$lines" | grep -v '^syscontainer: warning')"
assert_eq "a pipe: the warning on stderr, one line" "$errout" \
	"syscontainer: warning: layer ${diffs[1]:0:12}: skipped fifo 'p' (OSTree cannot store it)"
done_testing

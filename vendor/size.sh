#!/bin/sh
# size.sh MAP BINARY [LIBRARY]: what each library adds to the stripped
# binary, from the GNU ld link map MAP: the bytes of every input section the
# link kept in an allocated, file-backed output section (not .bss), summed
# per archive.  With LIBRARY (e.g. libgio-2.0.a), also its largest members.
set -eu
[ $# -ge 2 ] || { echo "usage: size.sh MAP BINARY [LIBRARY]" >&2; exit 2; }
awk -v detail="${3:-}" -v binsize="$(stat -c %s "$2")" '
function hex(h,   i, v) {
	v = 0; h = tolower(substr(h, 3))
	for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
	return v
}
# Name a contributor: the archive (libc.a is musl), our objects together.
function owner(f,   l) {
	sub(/\(.*\)$/, "", f); l = f; sub(/.*\//, "", l)
	if (l == "libc.a" || l ~ /^crt[1in]\.o$|^Scrt1\.o$/) return "musl (libc.a, crt)"
	if (l ~ /^libgcc|^crtbegin|^crtend/) return "libgcc"
	if (l ~ /\.o$/) return "syscontainer (src/)"
	return l
}
/^Linker script and memory map/ { on = 1; next }
!on { next }
/^[^ ]/ {                       # an output section: count only what is loaded from the file
	split($0, f, /[ \t]+/); out = f[1]
	keep = f[2] ~ /^0x/ && hex(f[2]) != 0 && out !~ /^\.(t?bss|lbss)$/
	next
}
{
	line = $0
	if (held != "") { line = held " " line; held = "" }
	n = split(line, f, /[ \t]+/)          # f[1] is the empty field before the indent
	if (n == 2 && f[2] ~ /^\./) { held = line; next }   # a long name: numbers on the next line
	if (!keep) next
	if (f[2] == "*fill*" && f[4] ~ /^0x/) { sz["(alignment padding)"] += hex(f[4]); next }
	if (f[2] !~ /^\./ || f[3] !~ /^0x/ || f[4] !~ /^0x/ || n < 5) next
	s = hex(f[4]); o = owner(f[5]); sz[o] += s; total += s
	if (detail != "" && index(f[5], detail "(")) { m = f[5]; sub(/.*\(/, "", m); sub(/\)$/, "", m); msz[m] += s }
}
END {
	printf "%10s %9s  %s\n", "bytes", "KiB", "library"
	for (l in sz) if (sz[l]) printf "%10d %9.1f  %s\n", sz[l], sz[l] / 1024, l | "sort -nr"
	close("sort -nr")
	printf "%10d %9.1f  %s\n", total, total / 1024, "sections in total"
	printf "%10d %9.1f  %s\n", binsize, binsize / 1024, "the stripped binary (with ELF headers and page alignment)"
	if (detail == "") exit
	printf "\nlargest members of %s:\n", detail
	for (m in msz) printf "%10d  %s\n", msz[m], m | "sort -nr | head -30"
}' "$1"

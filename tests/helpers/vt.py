#!/usr/bin/python3
"""Render what a terminal would show for a byte stream, as a test sees it.

usage: vt.py COLUMNS < typescript
Understands what syscontainer's progress display writes: printable
characters, CR, LF, ESC[K (erase to the end of the line), ESC[J (erase
below), ESC[nA (cursor up); a character written past the last column
wraps to the next line, as terminals do, so a redrawn line too long for
the width leaves its wrapped rest on the screen.  Prints the screen's
lines, trailing blanks dropped.  Exits 1 on any other escape sequence or
control character."""
import re, sys

cols = int(sys.argv[1])
data = sys.stdin.buffer.read().decode("utf-8", "replace")
lines, row, col = [[]], 0, 0
i = 0
while i < len(data):
    c = data[i]
    if c == "\x1b":
        m = re.match(r"\x1b\[(\d*)([KJA])", data[i:])
        if not m:
            sys.exit("vt.py: unknown escape %r" % data[i:i + 8])
        n, op = int(m.group(1) or 1), m.group(2)
        if op == "K":
            del lines[row][col:]
        elif op == "J":
            del lines[row][col:]
            del lines[row + 1:]
        else:
            row = max(0, row - n)
        i += m.end()
        continue
    if c == "\r":
        col = 0
    elif c == "\n":
        row += 1
        while len(lines) <= row:
            lines.append([])
    elif ord(c) < 32 or ord(c) == 127:
        sys.exit("vt.py: control character %r" % c)
    else:
        if col >= cols:
            row, col = row + 1, 0
            while len(lines) <= row:
                lines.append([])
        line = lines[row]
        line.extend(" " * (col - len(line)))
        if col < len(line):
            line[col] = c
        else:
            line.append(c)
        col += 1
    i += 1
out = ["".join(l).rstrip() for l in lines]
while out and not out[-1]:
    out.pop()
print("\n".join(out))

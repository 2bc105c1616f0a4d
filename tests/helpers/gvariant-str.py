#!/usr/bin/python3
"""gvariant-str.py < TEXT: print the string a GVariant text literal holds.

`ostree show --print-metadata-key=KEY` prints a value in GVariant text form:
'value' (or "value" when it holds a single quote), with C-like escapes and
\\uXXXX for other control characters.  This writes the exact string (UTF-8,
no newline added), so a test can hash it or compare bytes.  Exits 1 when the
input is not one string literal.
"""
import re
import sys

ESC = {'n': '\n', 't': '\t', 'r': '\r', 'b': '\b', 'f': '\f', 'v': '\v', 'a': '\a',
       '\\': '\\', "'": "'", '"': '"'}


def unescape(body):
    def rep(m):
        e = m.group(1)
        if e[0] in 'uU':
            return chr(int(e[1:], 16))
        if e[0] == 'x':
            return chr(int(e[1:], 16))
        if e[0] in ESC:
            return ESC[e[0]]
        raise ValueError('unknown escape \\' + e)
    return re.sub(r'\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|x[0-9a-fA-F]{2}|.)', rep, body, flags=re.S)


def main():
    text = sys.stdin.buffer.read().decode('utf-8').rstrip('\n')
    if len(text) < 2 or text[0] not in '\'"' or text[-1] != text[0]:
        sys.stderr.write('gvariant-str: not a string literal: %.60r\n' % text)
        return 1
    sys.stdout.buffer.write(unescape(text[1:-1]).encode('utf-8'))
    return 0


if __name__ == '__main__':
    sys.exit(main())

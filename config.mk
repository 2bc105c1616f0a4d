# syscontainer build settings.  Settings only: the rules live in Makefile.

VERSION = 0.1.0

# make install
PREFIX = /usr/local
MANPREFIX = $(PREFIX)/share/man
DOCPREFIX = $(PREFIX)/share/doc/syscontainer
# The early-boot hooks go where dracut and initramfs-tools look for them,
# whatever PREFIX is; they run $(PREFIX)/bin/syscontainer.
DRACUTDIR = /usr/lib/dracut
INITRAMFSTOOLSDIR = /usr/share/initramfs-tools

# The release build: musl, fully static.  The dependency recipes in vendor/
# take their target (triplet, kernel headers) from this compiler.
CC = musl-gcc
CFLAGS = -O2
LDFLAGS =

# `make check SANITIZE=1`: our code built by the host compiler with ASan and
# UBSan, linked against Debian's -dev packages of the same library versions.
SANITIZE =
SAN_CC = clang
SAN_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

# `make fuzz`: seconds per fuzz target.
FUZZ_SECONDS = 60

# Ceiling for the stripped binary, checked by `make check` (may only go down).
SIZE_CEILING = 4194304

# Tests that need a booted systemd fail rather than skip unless this is set.
ALLOW_SKIP =

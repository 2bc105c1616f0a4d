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

# The release build: musl, fully static, for ARCH: this machine's unless
# given (`make ARCH=aarch64` cross-builds).  musl is built from Debian's
# source by vendor/musl with Debian's GNU C compiler for ARCH (gcc, or
# ARCH-linux-gnu-gcc); the dependency recipes and our code are compiled
# through musl's gcc wrapper and take their target from it.
ARCH = $(HOST_ARCH)
CFLAGS = -O2
LDFLAGS =

# `make check-cross`: the architecture built and tested under qemu-user,
# and the shell tests run for it after every unit test and the corpus
# replay: build, repository, pulls from archives, the platform check,
# images, a pull over TLS, install under --root, early boot in a chroot (the
# others test code that does not depend on the architecture, and cost CI
# minutes under qemu).
CROSS_ARCH = aarch64
CROSS_TESTS = t0001 t0002 t0010 t0011 t0019 t0020 t0031 t0040 t0041

# `make check SANITIZE=1`: our code built by the host compiler with ASan and
# UBSan, linked against Debian's -dev packages of the same library versions.
SANITIZE =
SAN_CC = clang
SAN_CFLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

# `make fuzz`: seconds per fuzz target.
FUZZ_SECONDS = 60

# Ceilings for the stripped binary per architecture, checked by `make check`
# (may only go down).
SIZE_CEILING_x86_64 = 2500000
SIZE_CEILING_aarch64 = 2800000

# `make size SIZE_DETAIL=libgio-2.0.a`: also that library's largest members.
SIZE_DETAIL =

# Tests that need a booted systemd fail rather than skip unless this is set.
ALLOW_SKIP =

# syscontainer: rules only; settings are in config.mk.
HOST_ARCH := $(shell uname -m)
include config.mk

# A cross build (ARCH other than this machine's) has its own dependency
# tree, objects and binary, so builds for several targets coexist; the
# target's programs run under qemu-user.
ifeq ($(ARCH),$(HOST_ARCH))
SFX =
GNU_PREFIX =
REL = .build/release
RELBIN = syscontainer
else
SFX = -$(ARCH)
GNU_PREFIX = $(ARCH)-linux-gnu-
REL = .build/$(ARCH)
RELBIN = syscontainer-$(ARCH)
EMU = qemu-$(ARCH)-static
endif
VP  = vendor/prefix$(SFX)
VST = vendor/.stamps$(SFX)
VT  = vendor/.tools$(SFX)
PKGCONF = $(VT)/pkg-config
# musl is built by vendor/musl with the target's GNU C compiler; everything
# else is compiled through musl's gcc wrapper.
GNU_CC = $(GNU_PREFIX)gcc
CC = $(CURDIR)/$(VT)/musl/bin/musl-gcc
SIZE_CEILING = $(SIZE_CEILING_$(ARCH))

SRC    = $(wildcard src/*.c)
LIBSRC = $(filter-out src/main.c,$(SRC))
UNITS  = $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
FUZZSRC = $(wildcard tests/fuzz/fuzz_*.c)

# libostree's SHA-256 GChecksums go to our sha256.c (src/gchecksum.c).
WRAP = $(foreach f,new reset copy free update get_string get_digest,-Wl,--wrap=g_checksum_$(f))

# Required flags are combined with the user's CFLAGS, so overriding CFLAGS
# never drops a define or a warning.  Truncated messages are by design (one
# bounded line); a path, name or ref whose parts are not bounded by
# construction is built with path_fmt(), which fails when it does not fit,
# instead of relying on the format-truncation warning.
SC_CFLAGS = -std=gnu11 -D_GNU_SOURCE -DSC_VERSION='"$(VERSION)"' -Isrc \
	-Wall -Wextra -Werror -Wno-format-truncation -ffunction-sections -fdata-sections

ifeq ($(SANITIZE),)
B = $(REL)
XCC = $(CC)
XCFLAGS = $(SC_CFLAGS) $(CFLAGS) -ffile-prefix-map=$(CURDIR)/= \
	-isystem $(VP)/kernel-include -isystem $(VP)/usr/include \
	$$($(PKGCONF) --cflags ostree-1 | sed 's/-I/-isystem /g')
XLIBS = -static -Wl,--gc-sections $(LDFLAGS) $(WRAP) $$($(PKGCONF) --libs ostree-1) \
	-lmbedtls -lmbedx509 -lmbedcrypto -lz
LIBDEPS = $(VST)/ostree $(VST)/mbedtls $(VST)/zlib $(VST)/jsmn
BIN = $(RELBIN)
MAP = -Wl,-Map,$(B)/syscontainer.map
else
ifneq ($(SFX),)
$(error SANITIZE=1 builds for this machine only, not ARCH=$(ARCH))
endif
B = .build/san
XCC = $(SAN_CC)
XCFLAGS = $(filter-out -Wno-format-truncation,$(SC_CFLAGS)) $(SAN_CFLAGS) $$(pkg-config --cflags ostree-1)
XLIBS = $(SAN_CFLAGS) $(WRAP) $$(pkg-config --libs ostree-1) -lmbedtls -lmbedx509 -lmbedcrypto -lz
LIBDEPS = .build/san-deps
BIN = $(B)/syscontainer
endif

OBJ    = $(patsubst src/%.c,$(B)/%.o,$(SRC))
LIBOBJ = $(patsubst src/%.c,$(B)/%.o,$(LIBSRC))
UNITBIN = $(patsubst %,$(B)/%,$(UNITS))

all: $(BIN)

# --- dependencies (vendor/): each rebuilt only when its recipe changes -----
$(VST)/tools: vendor/tools.sh vendor/lib.sh
	CC='$(GNU_CC)' sh vendor/tools.sh
$(VST)/musl: vendor/musl/recipe vendor/build.sh $(VST)/tools
	CC='$(GNU_CC)' sh vendor/build.sh musl
$(VST)/zlib $(VST)/mbedtls $(VST)/libffi $(VST)/pcre2 $(VST)/xz $(VST)/jsmn: $(VST)/%: vendor/%/recipe vendor/build.sh $(VST)/musl
	CC='$(CC)' sh vendor/build.sh $*
$(VST)/glib: vendor/glib/recipe $(VST)/zlib $(VST)/libffi $(VST)/pcre2
	CC='$(CC)' sh vendor/build.sh glib
$(VST)/ostree: vendor/ostree/recipe vendor/ostree/shim/ext2fs/ext2_fs.h $(VST)/glib $(VST)/xz $(VST)/zlib
	CC='$(CC)' sh vendor/build.sh ostree
# A recipe's patches are part of it.
$(foreach d,$(patsubst vendor/%/recipe,%,$(wildcard vendor/*/recipe)),$(eval $(VST)/$(d): $(wildcard vendor/$(d)/*.patch)))
.build/san-deps: tests/deps.sh
	sh tests/deps.sh sanitize
	@mkdir -p .build && touch $@
deps: $(LIBDEPS)

# --- our code ----------------------------------------------------------------
$(B)/%.o: src/%.c src/*.h $(LIBDEPS)
	@mkdir -p $(B)
	$(XCC) $(XCFLAGS) -c -o $@ $<

$(B)/syscontainer: $(OBJ)
	$(XCC) -o $@ $(OBJ) $(XLIBS) $(MAP)

# The shipped binary is stripped; the sanitizer build is tested in place.
$(RELBIN): $(REL)/syscontainer
	cp $(REL)/syscontainer $@
	$(GNU_PREFIX)strip $@
	@echo "$@: $$(stat -c %s $@) bytes stripped (ceiling $(SIZE_CEILING))"

# What each library adds to the binary, from the link map.
size: $(RELBIN)
	@sh vendor/size.sh $(REL)/syscontainer.map $(RELBIN) $(SIZE_DETAIL)

$(REL)/THIRD-PARTY-NOTICES: $(VST)/ostree $(VST)/mbedtls $(VST)/zlib $(VST)/jsmn
	@mkdir -p $(REL)
	sh vendor/notices.sh $(VP) > $@

$(B)/test_%: tests/unit/test_%.c tests/unit/tap.h $(LIBOBJ)
	$(XCC) $(XCFLAGS) -o $@ $< $(LIBOBJ) $(XLIBS)

# The corpus replayer: the fuzz targets built as a plain program, so `make
# check` exercises every committed corpus file without clang.
$(B)/fuzz-replay: tests/fuzz/fuzz.c $(FUZZSRC) $(LIBOBJ)
	$(XCC) $(XCFLAGS) -DFUZZ_REPLAY -Itests/fuzz -o $@ tests/fuzz/fuzz.c $(FUZZSRC) $(LIBOBJ) $(XLIBS)

check: $(BIN) $(UNITBIN) $(B)/fuzz-replay
	@sh tests/deps.sh
	@SC_BIN=$(CURDIR)/$(BIN) SC_BUILD=$(CURDIR)/$(B) SIZE_CEILING=$(SIZE_CEILING) \
	 SANITIZE='$(SANITIZE)' ALLOW_SKIP='$(ALLOW_SKIP)' SC_ARCH=$(ARCH) SC_EMU='$(EMU)' \
	 SC_TESTS='$(if $(EMU),$(CROSS_TESTS))' sh tests/run.sh $(UNITBIN)

# The same tests for CROSS_ARCH's binary, under qemu-user.
check-cross:
	$(MAKE) ARCH=$(CROSS_ARCH) check

# --- fuzzing (clang, libFuzzer, host libraries) ---------------------------
FZ = .build/fuzz
$(FZ)/fuzz: tests/fuzz/fuzz.c $(FUZZSRC) $(LIBSRC) src/*.h
	@sh tests/deps.sh fuzz
	@mkdir -p $(FZ)
	clang $(filter-out -Wno-format-truncation,$(SC_CFLAGS)) -g -O1 -fsanitize=fuzzer,address,undefined -Itests/fuzz \
	  $$(pkg-config --cflags ostree-1) -o $@ tests/fuzz/fuzz.c $(FUZZSRC) $(LIBSRC) \
	  $$(pkg-config --libs ostree-1) -lmbedtls -lmbedx509 -lmbedcrypto -lz
fuzz: $(FZ)/fuzz
	sh tests/fuzz/run.sh $(FZ)/fuzz $(FUZZ_SECONDS)

# --- the README's first command ----------------------------------------------
demo: $(BIN)
	@sh tests/deps.sh
	sh tests/demo.sh $(CURDIR)/$(BIN)

bench: syscontainer
	sh tests/bench/run.sh $(CURDIR)/syscontainer

DRACUTMOD = $(DESTDIR)$(DRACUTDIR)/modules.d/95syscontainer
ITOOLS = $(DESTDIR)$(INITRAMFSTOOLSDIR)
# The early-boot hooks get the installed binary's path written in.
BOOTSED = sed 's|@BINDIR@|$(PREFIX)/bin|g'

install: $(RELBIN) $(REL)/THIRD-PARTY-NOTICES
	install -Dm755 $(RELBIN) $(DESTDIR)$(PREFIX)/bin/syscontainer
	install -Dm644 src/syscontainer.1 $(DESTDIR)$(MANPREFIX)/man1/syscontainer.1
	install -Dm644 src/syscontainer.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/syscontainer
	install -Dm644 $(REL)/THIRD-PARTY-NOTICES $(DESTDIR)$(DOCPREFIX)/THIRD-PARTY-NOTICES
	install -Dm644 LICENSE $(DESTDIR)$(DOCPREFIX)/LICENSE
	install -d $(DRACUTMOD) $(ITOOLS)/hooks $(ITOOLS)/scripts/init-bottom
	$(BOOTSED) src/boot/dracut-module-setup.sh > $(DRACUTMOD)/module-setup.sh
	$(BOOTSED) src/boot/initramfs-tools-hook > $(ITOOLS)/hooks/syscontainer
	chmod 755 $(DRACUTMOD)/module-setup.sh $(ITOOLS)/hooks/syscontainer
	install -m755 src/boot/dracut-pre-pivot.sh $(DRACUTMOD)/pre-pivot.sh
	install -m644 src/boot/syscontainer-boot.sh $(DRACUTMOD)/syscontainer-boot.sh
	install -m755 src/boot/initramfs-tools-init-bottom $(ITOOLS)/scripts/init-bottom/syscontainer
	install -m644 src/boot/syscontainer-boot.sh $(ITOOLS)/scripts/syscontainer-boot

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/syscontainer $(DESTDIR)$(MANPREFIX)/man1/syscontainer.1 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/syscontainer
	rm -rf $(DESTDIR)$(DOCPREFIX) $(DRACUTMOD)
	rm -f $(ITOOLS)/hooks/syscontainer $(ITOOLS)/scripts/init-bottom/syscontainer \
		$(ITOOLS)/scripts/syscontainer-boot

clean:
	rm -rf .build syscontainer syscontainer-*

distclean: clean
	rm -rf vendor/prefix vendor/prefix-* vendor/src vendor/src-* vendor/dl \
		vendor/.stamps vendor/.stamps-* vendor/.tools vendor/.tools-*

options:
	@echo "syscontainer $(VERSION) build options:"
	@echo "ARCH      = $(ARCH)"
	@echo "CC        = $(CC)"
	@echo "CFLAGS    = $(CFLAGS)"
	@echo "LDFLAGS   = $(LDFLAGS)"
	@echo "PREFIX    = $(PREFIX)"
	@echo "DRACUTDIR = $(DRACUTDIR)"
	@echo "INITRAMFSTOOLSDIR = $(INITRAMFSTOOLSDIR)"
	@echo "SANITIZE  = $(SANITIZE)"
	@echo "SIZE_CEILING = $(SIZE_CEILING)"

.PHONY: all deps check check-cross size fuzz demo bench install uninstall clean distclean options
.SECONDARY:

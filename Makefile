# syscontainer: rules only; settings are in config.mk.
include config.mk

VP  = vendor/prefix
VST = vendor/.stamps
PKGCONF = vendor/.tools/pkg-config

SRC    = $(wildcard src/*.c)
LIBSRC = $(filter-out src/main.c,$(SRC))
UNITS  = $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
FUZZSRC = $(wildcard tests/fuzz/fuzz_*.c)

# Required flags are combined with the user's CFLAGS, so overriding CFLAGS
# never drops a define or a warning.  Truncated messages are by design (one
# bounded line); paths check snprintf's result instead of relying on the
# format-truncation warning.
SC_CFLAGS = -std=gnu11 -D_GNU_SOURCE -DSC_VERSION='"$(VERSION)"' -Isrc \
	-Wall -Wextra -Werror -Wno-format-truncation -ffunction-sections -fdata-sections

ifeq ($(SANITIZE),)
B = .build/release
XCC = $(CC)
XCFLAGS = $(SC_CFLAGS) $(CFLAGS) -ffile-prefix-map=$(CURDIR)/= \
	-isystem $(VP)/kernel-include -isystem $(VP)/usr/include \
	$$($(PKGCONF) --cflags ostree-1 | sed 's/-I/-isystem /g')
XLIBS = -static -Wl,--gc-sections $(LDFLAGS) $$($(PKGCONF) --libs ostree-1) \
	-lmbedtls -lmbedx509 -lmbedcrypto -lz
LIBDEPS = $(VST)/ostree $(VST)/mbedtls $(VST)/zlib $(VST)/jsmn
BIN = syscontainer
else
B = .build/san
XCC = $(SAN_CC)
XCFLAGS = $(filter-out -Wno-format-truncation,$(SC_CFLAGS)) $(SAN_CFLAGS) $$(pkg-config --cflags ostree-1)
XLIBS = $(SAN_CFLAGS) $$(pkg-config --libs ostree-1) -lmbedtls -lmbedx509 -lmbedcrypto -lz
LIBDEPS = .build/san-deps
BIN = $(B)/syscontainer
endif

OBJ    = $(patsubst src/%.c,$(B)/%.o,$(SRC))
LIBOBJ = $(patsubst src/%.c,$(B)/%.o,$(LIBSRC))
UNITBIN = $(patsubst %,$(B)/%,$(UNITS))

all: $(BIN)

# --- dependencies (vendor/): each rebuilt only when its recipe changes -----
$(VST)/tools: vendor/tools.sh vendor/lib.sh
	CC='$(CC)' sh vendor/tools.sh
$(VST)/zlib $(VST)/mbedtls $(VST)/libffi $(VST)/pcre2 $(VST)/xz $(VST)/jsmn: $(VST)/%: vendor/%/recipe vendor/build.sh $(VST)/tools
	CC='$(CC)' sh vendor/build.sh $*
$(VST)/glib: vendor/glib/recipe $(VST)/zlib $(VST)/libffi $(VST)/pcre2
	CC='$(CC)' sh vendor/build.sh glib
$(VST)/ostree: vendor/ostree/recipe vendor/ostree/shim/ext2fs/ext2_fs.h $(VST)/glib $(VST)/xz $(VST)/zlib
	CC='$(CC)' sh vendor/build.sh ostree
.build/san-deps: tests/deps.sh
	sh tests/deps.sh sanitize
	@mkdir -p .build && touch $@
deps: $(LIBDEPS)

# --- our code ----------------------------------------------------------------
$(B)/%.o: src/%.c src/*.h $(LIBDEPS)
	@mkdir -p $(B)
	$(XCC) $(XCFLAGS) -c -o $@ $<

$(B)/syscontainer: $(OBJ)
	$(XCC) -o $@ $(OBJ) $(XLIBS)

# The shipped binary is stripped; the sanitizer build is tested in place.
syscontainer: .build/release/syscontainer
	cp .build/release/syscontainer $@
	strip $@
	@echo "syscontainer: $$(stat -c %s $@) bytes stripped (ceiling $(SIZE_CEILING))"

.build/THIRD-PARTY-NOTICES: $(VST)/ostree $(VST)/mbedtls $(VST)/zlib $(VST)/jsmn
	@mkdir -p .build
	sh vendor/notices.sh > $@

$(B)/test_%: tests/unit/test_%.c tests/unit/tap.h $(LIBOBJ)
	$(XCC) $(XCFLAGS) -o $@ $< $(LIBOBJ) $(XLIBS)

# The corpus replayer: the fuzz targets built as a plain program, so `make
# check` exercises every committed corpus file without clang.
$(B)/fuzz-replay: tests/fuzz/fuzz.c $(FUZZSRC) $(LIBOBJ)
	$(XCC) $(XCFLAGS) -DFUZZ_REPLAY -Itests/fuzz -o $@ tests/fuzz/fuzz.c $(FUZZSRC) $(LIBOBJ) $(XLIBS)

check: $(BIN) $(UNITBIN) $(B)/fuzz-replay
	@sh tests/deps.sh
	@SC_BIN=$(CURDIR)/$(BIN) SC_BUILD=$(CURDIR)/$(B) SIZE_CEILING=$(SIZE_CEILING) \
	 SANITIZE='$(SANITIZE)' ALLOW_SKIP='$(ALLOW_SKIP)' \
	 sh tests/run.sh $(UNITBIN)

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

install: $(BIN) .build/THIRD-PARTY-NOTICES
	install -Dm755 syscontainer $(DESTDIR)$(PREFIX)/bin/syscontainer
	install -Dm644 src/syscontainer.1 $(DESTDIR)$(MANPREFIX)/man1/syscontainer.1
	install -Dm644 .build/THIRD-PARTY-NOTICES $(DESTDIR)$(DOCPREFIX)/THIRD-PARTY-NOTICES
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
	rm -f $(DESTDIR)$(PREFIX)/bin/syscontainer $(DESTDIR)$(MANPREFIX)/man1/syscontainer.1
	rm -rf $(DESTDIR)$(DOCPREFIX) $(DRACUTMOD)
	rm -f $(ITOOLS)/hooks/syscontainer $(ITOOLS)/scripts/init-bottom/syscontainer \
		$(ITOOLS)/scripts/syscontainer-boot

clean:
	rm -rf .build syscontainer

distclean: clean
	rm -rf vendor/prefix vendor/src vendor/dl vendor/.stamps vendor/.tools

options:
	@echo "syscontainer $(VERSION) build options:"
	@echo "CC        = $(CC)"
	@echo "CFLAGS    = $(CFLAGS)"
	@echo "LDFLAGS   = $(LDFLAGS)"
	@echo "PREFIX    = $(PREFIX)"
	@echo "DRACUTDIR = $(DRACUTDIR)"
	@echo "INITRAMFSTOOLSDIR = $(INITRAMFSTOOLSDIR)"
	@echo "SANITIZE  = $(SANITIZE)"
	@echo "SIZE_CEILING = $(SIZE_CEILING)"

.PHONY: all deps check fuzz demo bench install uninstall clean distclean options
.SECONDARY:

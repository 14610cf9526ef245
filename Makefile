# SPDX-License-Identifier: MIT
# ttybroker - privilege-separated serial-port broker.
# Targets: all check bench install uninstall clean demo
#          fuzz-build, fuzz [FUZZ_SECONDS=30]: libFuzzer harnesses (fuzz/fuzz.mk)

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBDIR     ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR     ?= $(PREFIX)/share/man
PCDIR      ?= $(LIBDIR)/pkgconfig
SYSCONFDIR ?= /etc
DESTDIR    ?=
B          ?= build

CC         ?= cc
AR         ?= ar
PKG_CONFIG ?= pkg-config
INSTALL    ?= install

VERSION    := 0.1.0
SOVERSION  := 0

CFLAGS     ?= -O2 -g
WARN       := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
              -Wmissing-prototypes -Wvla -Wnull-dereference
# -Werror only when CI asks for it (CI=true) or WERROR=1.
ifneq ($(filter true 1,$(CI) $(WERROR)),)
WARN       += -Werror
endif
HARDEN_CC  := -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3 -fstack-protector-strong \
              -fstack-clash-protection -fcf-protection
HARDEN_LD  := -Wl,-z,relro,-z,now -Wl,-z,noexecstack
CPPFLAGS   += -D_GNU_SOURCE -Icommon -Ipolicy -Ibroker -Ifrontend \
              -DTB_VERSION='"$(VERSION)"' -DTB_SYSCONFDIR='"$(SYSCONFDIR)"'
ALL_CFLAGS  = -std=gnu11 $(WARN) $(HARDEN_CC) -MMD -MP $(CFLAGS)
LIBS       := -lcap-ng -lseccomp

CRIT_CFLAGS := $(shell $(PKG_CONFIG) --cflags criterion 2>/dev/null)
CRIT_LIBS   := $(shell $(PKG_CONFIG) --libs criterion 2>/dev/null || echo -lcriterion)

CLI_SRC    := $(wildcard frontend/cli*.c)
LIB_SRC    := $(filter-out $(CLI_SRC),$(wildcard common/*.c policy/*.c broker/*.c frontend/*.c))
TEST_SRC   := $(wildcard tests/test_*.c)
TEST_HELP  := $(filter-out $(TEST_SRC),$(wildcard tests/*.c))
BENCH_SRC  := $(wildcard bench/*.c)

LIB_OBJ    := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(B)/%.o)
HELP_OBJ   := $(TEST_HELP:%.c=$(B)/%.o)
TESTS      := $(TEST_SRC:tests/%.c=$(B)/tests/%)
BENCHES    := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

STATIC     := $(B)/libttybroker.a
SHARED     := $(B)/libttybroker.so.$(SOVERSION)
CLI        := $(B)/ttybroker
PC         := $(B)/ttybroker.pc
MANS       := $(wildcard docs/*.1 docs/*.3 docs/*.5)

.PHONY: all check bench install uninstall clean demo
all: $(STATIC) $(SHARED) $(CLI) $(PC)

# Library objects are PIC (for the shared library; fine in a PIE too) and
# export only the tb_ API (TB_EXPORT in ttybroker.h).
$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(B)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(CRIT_CFLAGS) $(ALL_CFLAGS) -fPIE -c -o $@ $<

$(B)/bench/%.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIE -c -o $@ $<

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libttybroker.so.$(SOVERSION) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ $(LIBS)
	ln -sf libttybroker.so.$(SOVERSION) $(B)/libttybroker.so

$(CLI): $(CLI_OBJ) $(STATIC)
	$(CC) -pie $(HARDEN_LD) $(LDFLAGS) -o $@ $(CLI_OBJ) $(STATIC) $(LIBS)

$(B)/tests/test_%: $(B)/tests/test_%.o $(HELP_OBJ) $(STATIC)
	$(CC) -pie $(HARDEN_LD) $(LDFLAGS) -o $@ $< $(HELP_OBJ) $(STATIC) $(LIBS) $(CRIT_LIBS)

$(B)/bench/%: $(B)/bench/%.o $(STATIC)
	$(CC) -pie $(HARDEN_LD) $(LDFLAGS) -o $@ $< $(STATIC) $(LIBS)

$(PC): ttybroker.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# Every test binary runs; the integration tests need root to create ptys,
# chown them and drop to nobody.  TTYBROKER_BIN points them at the build.
check: all $(TESTS)
	@set -e; fail=0; for t in $(TESTS); do \
	  echo "== $$t"; \
	  TTYBROKER_BIN=$(abspath $(CLI)) timeout 600 $$t --jobs 1 || fail=1; \
	done; exit $$fail

bench: all $(BENCHES)
	@for b in $(BENCHES); do TTYBROKER_BIN=$(abspath $(CLI)) $$b || exit 1; done

demo: all
	$(CLI) demo

install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	  $(DESTDIR)$(PCDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/ttybroker
	$(INSTALL) -m 0644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 0755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libttybroker.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libttybroker.so
	$(INSTALL) -m 0644 frontend/ttybroker.h $(DESTDIR)$(INCLUDEDIR)/
	$(INSTALL) -m 0644 $(PC) $(DESTDIR)$(PCDIR)/
	for m in $(MANS); do s=$${m##*.}; $(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ttybroker $(DESTDIR)$(LIBDIR)/libttybroker.* \
	  $(DESTDIR)$(INCLUDEDIR)/ttybroker.h $(DESTDIR)$(PCDIR)/ttybroker.pc
	for m in $(MANS); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done

clean:
	rm -rf $(B)

include fuzz/fuzz.mk
-include $(shell find $(B) -name '*.d' 2>/dev/null)

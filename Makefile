# SPDX-License-Identifier: MIT
# ttybroker - privilege-separated serial-port broker.
# Targets: all check check-docs bench install install-setuid uninstall clean demo
#          check-sanitize  the whole suite against an ASan+UBSan build
#                          (SANITIZE=1, into build-sanitize/, no seccomp filter)
#          check-valgrind  CYCLES (default 100000) open/release cycles under
#                          valgrind memcheck (VALGRIND=1, into build-valgrind/,
#                          no seccomp filter): no leak, no fd left open, flat RssAnon
# SANITIZE=1 and VALGRIND=1 define TB_UNFILTERED: the backend's seccomp filter is
# compiled out (it kills the sanitizer runtime and valgrind).  Test builds only;
# see docs/DESIGN.md "Sanitizer and valgrind builds".
#          fuzz-build, fuzz [FUZZ_SECONDS=30]: libFuzzer harnesses (fuzz/fuzz.mk)

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBDIR     ?= $(PREFIX)/lib
LIBEXECDIR ?= $(PREFIX)/libexec
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
PCDIR      ?= $(LIBDIR)/pkgconfig
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# The Python package (python/ttybroker): Debian's python3 looks in
# PREFIX/lib/python3.N/dist-packages for PREFIX /usr/local.
PYTHON     ?= /usr/bin/python3
PYTHON_SITEDIR ?= $(PREFIX)/lib/python$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3)/dist-packages
DESTDIR    ?=
ifeq ($(SANITIZE),1)
B          ?= build-sanitize
else ifeq ($(VALGRIND),1)
B          ?= build-valgrind
endif
B          ?= build
CYCLES     ?= 100000

CC         ?= cc
AR         ?= ar
PKG_CONFIG ?= pkg-config
INSTALL    ?= install
LDCONFIG   ?= ldconfig

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
              -DTB_VERSION='"$(VERSION)"' -DTB_SYSCONFDIR='"$(SYSCONFDIR)"' \
              -DTB_LIBEXECDIR='"$(LIBEXECDIR)"' -DTB_LIBDIR='"$(LIBDIR)"'
ALL_CFLAGS  = -std=gnu11 $(WARN) $(HARDEN_CC) -MMD -MP $(CFLAGS)
LIBS       := -lcap-ng -lseccomp
# Test-only builds without the seccomp filter (never installed; the backend
# warns at start and --version says so).
ifeq ($(SANITIZE),1)
UNFILTERED := 1
CPPFLAGS   += -DTB_UNFILTERED
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
ALL_CFLAGS += $(SAN_FLAGS)
LDFLAGS    += $(SAN_FLAGS)
else ifeq ($(VALGRIND),1)
UNFILTERED := 1
CPPFLAGS   += -DTB_UNFILTERED
endif

CRIT_CFLAGS := $(shell $(PKG_CONFIG) --cflags criterion 2>/dev/null)
CRIT_LIBS   := $(shell $(PKG_CONFIG) --libs criterion 2>/dev/null || echo -lcriterion)

CLI_SRC    := $(wildcard frontend/cli*.c)
# Programs' main(): never in the library.
DAEMON_SRC := broker/ttybrokerd.c
LIB_SRC    := $(filter-out $(CLI_SRC) $(DAEMON_SRC),$(wildcard common/*.c policy/*.c broker/*.c frontend/*.c))
TEST_SRC   := $(wildcard tests/test_*.c)
TEST_HELP  := $(filter-out $(TEST_SRC),$(wildcard tests/*.c))
# Code every bench program links (not a program itself).
BENCH_UTIL := bench/benchutil.c
BENCH_SRC  := $(filter-out $(BENCH_UTIL),$(wildcard bench/*.c))
HELPER_SRC := helper/helper.c
# Small programs the tests run (e.g. installed setuid in a temp dir).
TPROG_SRC  := $(wildcard tests/helper/*.c)

LIB_OBJ    := $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(B)/%.o)
HELPER_OBJ := $(HELPER_SRC:%.c=$(B)/%.o)
HELP_OBJ   := $(TEST_HELP:%.c=$(B)/%.o)
TESTS      := $(TEST_SRC:tests/%.c=$(B)/tests/%)
BENCHES    := $(BENCH_SRC:bench/%.c=$(B)/bench/%)
TPROGS     := $(TPROG_SRC:tests/helper/%.c=$(B)/tests/helper/%)

STATIC     := $(B)/libttybroker.a
SHARED     := $(B)/libttybroker.so.$(SOVERSION)
CLI        := $(B)/ttybroker
DAEMON     := $(B)/ttybrokerd
HELPER     := $(B)/ttybroker-helper
PC         := $(B)/ttybroker.pc
MANS       := $(wildcard docs/*.1 docs/*.3 docs/*.5 docs/*.8)
# libttybroker-preload.so (preload/): put in LD_PRELOAD by `ttybroker exec`
# and `run`; installed to LIBDIR/ttybroker/ (found there by the command).
PRELOAD_SRC := $(wildcard preload/*.c)
PRELOAD_OBJ := $(PRELOAD_SRC:%.c=$(B)/%.o)
PRELOAD     := $(B)/libttybroker-preload.so

.PHONY: all check check-docs bench install install-setuid uninstall clean demo check-sanitize \
        check-valgrind sanitize-run valgrind-run
all: $(STATIC) $(SHARED) $(CLI) $(DAEMON) $(HELPER) $(PC) $(PRELOAD)

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

# Keep test and bench objects: make would delete them as intermediates.
.PRECIOUS: $(B)/tests/%.o $(B)/bench/%.o $(TPROGS)

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libttybroker.so.$(SOVERSION) $(HARDEN_LD) $(LDFLAGS) -o $@ $^ $(LIBS)
	ln -sf libttybroker.so.$(SOVERSION) $(B)/libttybroker.so

$(CLI): $(CLI_OBJ) $(STATIC)
	$(CC) -pie $(HARDEN_LD) $(LDFLAGS) -o $@ $(CLI_OBJ) $(STATIC) $(LIBS)

$(DAEMON): $(DAEMON_SRC:%.c=$(B)/%.o) $(STATIC)
	$(CC) -pie $(HARDEN_LD) $(LDFLAGS) -o $@ $(DAEMON_SRC:%.c=$(B)/%.o) $(STATIC) $(LIBS)

# The preload defines open() and friends itself: no fortify wrappers there.
# It is never built with the sanitizers: it is loaded into other programs
# (LD_PRELOAD), where no ASan runtime comes first; under SANITIZE=1 it gets
# its own uninstrumented copies of the library objects.
PRELOAD_CFLAGS  = $(filter-out $(SAN_FLAGS),$(ALL_CFLAGS))
PRELOAD_LDFLAGS = $(filter-out $(SAN_FLAGS),$(LDFLAGS))
ifeq ($(SANITIZE),1)
PRELOAD_LIB := $(LIB_SRC:%.c=$(B)/preload-lib/%.o)
$(B)/preload-lib/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PRELOAD_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<
else
PRELOAD_LIB := $(STATIC)
endif

$(B)/preload/%.o: preload/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Ipreload $(PRELOAD_CFLAGS) -U_FORTIFY_SOURCE -fPIC -fvisibility=hidden -c -o $@ $<

$(PRELOAD): $(PRELOAD_OBJ) $(PRELOAD_LIB) preload/preload.map
	$(CC) -shared -Wl,--version-script=preload/preload.map $(HARDEN_LD) $(PRELOAD_LDFLAGS) -o $@ $(PRELOAD_OBJ) $(PRELOAD_LIB) $(LIBS) -ldl -lpthread

# The setuid-root way in (helper/helper.c); libttybroker executes it from
# LIBEXECDIR/ttybroker when the caller is not root and no daemon answers.
$(HELPER): $(HELPER_OBJ) $(STATIC)
	$(CC) -pie $(HARDEN_LD) $(LDFLAGS) -o $@ $(HELPER_OBJ) $(STATIC) $(LIBS)

$(B)/tests/test_%: $(B)/tests/test_%.o $(HELP_OBJ) $(STATIC) | $(TPROGS)
	$(CC) -pie $(HARDEN_LD) $(LDFLAGS) -o $@ $< $(TEST_EXTRA) $(HELP_OBJ) $(STATIC) $(LIBS) $(CRIT_LIBS)

# test_cli also unit-tests the command's pure helpers (objects without main()).
CLI_UNIT   := $(B)/frontend/cli_text.o $(B)/frontend/cli_env.o $(B)/frontend/cli_elf.o
CLI_UNIT   += $(B)/frontend/cli_ident.o
CLI_UNIT   += $(B)/frontend/cli_json.o
$(B)/tests/test_cli: $(CLI_UNIT)
$(B)/tests/test_cli: TEST_EXTRA = $(CLI_UNIT)

$(B)/tests/helper/%: tests/helper/%.c $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIE -pie $(HARDEN_LD) $(LDFLAGS) -o $@ $< $(STATIC) $(LIBS)

BENCH_UOBJ := $(BENCH_UTIL:%.c=$(B)/%.o)
$(B)/bench/%: $(B)/bench/%.o $(BENCH_UOBJ) $(STATIC)
	$(CC) -pie $(HARDEN_LD) $(LDFLAGS) -o $@ $< $(BENCH_UOBJ) $(STATIC) $(LIBS)

# install writes its own ttybroker.pc: the PREFIX given to install is the
# one that counts, whatever PREFIX the build had.
PC_SED = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|'

$(PC): ttybroker.pc.in Makefile
	@mkdir -p $(@D)
	$(PC_SED) $< > $@

# systemd units (systemd/): ExecStart names the installed daemon, so
# install writes them again with its own SBINDIR, as for ttybroker.pc.
UNIT_SED = sed -e 's|@SBINDIR@|$(SBINDIR)|g'
UNITS    := $(B)/systemd/ttybroker.service $(B)/systemd/ttybroker.socket

all: $(UNITS)

$(B)/systemd/ttybroker.service: systemd/ttybroker.service.in Makefile
	@mkdir -p $(@D)
	$(UNIT_SED) $< > $@

$(B)/systemd/ttybroker.socket: systemd/ttybroker.socket
	@mkdir -p $(@D)
	cp $< $@

# Every test binary runs; the integration tests need root to create ptys,
# chown them and drop to nobody.  TTYBROKER_BIN points them at the build.
check: all $(TESTS)
	@TTYBROKER_BIN=$(abspath $(CLI)) scripts/run-tests $(B)/test-logs $(PYTHON) $(TESTS)

# Only the documentation (tests/test_docs.c, also part of check): code
# blocks of README.md and the man pages, mandoc -Tlint, examples/, install.
check-docs: all $(B)/tests/test_docs
	TTYBROKER_BIN=$(abspath $(CLI)) timeout 900 $(B)/tests/test_docs --jobs 1

# Any sanitizer report fails the run: the reporting process exits with 86
# (halt_on_error) and the report, which goes to stderr (the backend's
# stderr is the test's), is looked for in each test binary's output too,
# in case a test swallowed that status.  LeakSanitizer checks every process
# that ends through exit(), the ttybroker command after its drop to nobody
# included; not the backend, which ends with _exit() (check-valgrind does).
SAN_LOGS      = $(B)/sanitize-logs
SAN_PATTERN   = ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: [A-Za-z]*Sanitizer
check-sanitize:
	$(MAKE) SANITIZE=1 sanitize-run

sanitize-run: all $(TESTS)
	@set -e; logs=$(SAN_LOGS); rm -rf $$logs; mkdir -p $$logs; \
	export ASAN_OPTIONS=halt_on_error=1:exitcode=86:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1 \
	       UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=86 \
	       TTYBROKER_BIN=$(abspath $(CLI)) TB_DOC_CFLAGS='$(SAN_FLAGS)'; \
	fail=0; for t in $(TESTS); do \
	  echo "== $$t"; log=$$logs/$${t##*/}.log; \
	  timeout 1200 $$t --jobs 1 > $$log 2>&1 || { echo "$$t failed"; fail=1; }; \
	  tail -n 2 $$log; \
	  if grep -E '$(SAN_PATTERN)' $$log; then echo "$$t: sanitizer report, see $$log"; fail=1; fi; \
	done; exit $$fail

# bench_cycles under valgrind memcheck (scripts/check-valgrind): the bench,
# the frontend and the backend each without leak or descriptor left open,
# and the backend's RssAnon flat.  CYCLES=N to change the count.
check-valgrind:
	$(MAKE) VALGRIND=1 valgrind-run

valgrind-run: all $(B)/bench/bench_cycles
	scripts/check-valgrind $(B)/bench/bench_cycles $(CYCLES) $(B)/valgrind-logs

bench: all $(BENCHES)
	@for b in $(BENCHES); do TTYBROKER_BIN=$(abspath $(CLI)) $$b || exit 1; done

demo: all
	$(CLI) demo

# Every directory install creates (missing before) is recorded in
# $(DATADIR)/ttybroker/dirs, so uninstall removes exactly those once empty.
# With an empty DESTDIR the loader cache is refreshed (ldconfig): a program
# linked against the new libttybroker.so.0 then finds it, if LIBDIR is one
# of the loader's directories (/usr/local/lib is, on Debian).
INST_DIRS  = $(BINDIR) $(SBINDIR) $(LIBDIR) $(INCLUDEDIR) $(PCDIR) $(MANDIR)/man1 $(MANDIR)/man3 \
             $(MANDIR)/man5 $(MANDIR)/man8 $(DATADIR)/ttybroker $(LIBEXECDIR)/ttybroker
INST_LIST  = $(DATADIR)/ttybroker/dirs
INST_DIRS += $(SYSTEMDUNITDIR) $(LIBDIR)/ttybroker $(PYTHON_SITEDIR)/ttybroker
LDCONFIG_RUN = if [ -z "$(DESTDIR)" ]; then echo $(LDCONFIG); $(LDCONFIG) || \
	  echo "warning: $(LDCONFIG) failed; programs may not find libttybroker.so.$(SOVERSION)" >&2; fi

install: all
	@if [ -n "$(UNFILTERED)" ]; then \
	  echo "install: refusing to install an unfiltered (SANITIZE/VALGRIND) build" >&2; exit 1; fi
	@set -e; new=; for d in $(INST_DIRS); do \
	  while [ -n "$$d" ] && [ ! -d "$(DESTDIR)$$d" ]; do new="$$new $$d"; d=$${d%/*}; done; \
	done; \
	$(INSTALL) -d $(INST_DIRS:%=$(DESTDIR)%); \
	{ [ ! -f "$(DESTDIR)$(INST_LIST)" ] || cat "$(DESTDIR)$(INST_LIST)"; \
	  for d in $$new; do echo "$$d"; done; } | sort -u > "$(DESTDIR)$(INST_LIST).new"; \
	mv -f "$(DESTDIR)$(INST_LIST).new" "$(DESTDIR)$(INST_LIST)"
	$(INSTALL) -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/ttybroker
	$(INSTALL) -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/ttybrokerd
	$(INSTALL) -m 0755 $(HELPER) $(DESTDIR)$(LIBEXECDIR)/ttybroker/ttybroker-helper
	$(INSTALL) -m 0644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -m 0755 $(PRELOAD) $(DESTDIR)$(LIBDIR)/ttybroker/
	$(INSTALL) -m 0644 python/ttybroker/*.py $(DESTDIR)$(PYTHON_SITEDIR)/ttybroker/
	$(INSTALL) -m 0755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf libttybroker.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libttybroker.so
	$(INSTALL) -m 0644 frontend/ttybroker.h $(DESTDIR)$(INCLUDEDIR)/
	$(PC_SED) ttybroker.pc.in > $(DESTDIR)$(PCDIR)/ttybroker.pc
	chmod 0644 $(DESTDIR)$(PCDIR)/ttybroker.pc
	for m in $(MANS); do s=$${m##*.}; $(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	$(INSTALL) -m 0644 systemd/ttybroker.socket $(DESTDIR)$(SYSTEMDUNITDIR)/
	$(UNIT_SED) systemd/ttybroker.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/ttybroker.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/ttybroker.service
	@$(LDCONFIG_RUN)

# install-setuid: install, then make the helper setuid-root, so programs
# that never had root can open ports when no ttybrokerd runs (run as root).
install-setuid: install
	chown 0:0 $(DESTDIR)$(LIBEXECDIR)/ttybroker/ttybroker-helper
	chmod 4755 $(DESTDIR)$(LIBEXECDIR)/ttybroker/ttybroker-helper

uninstall:
	rm -f $(DESTDIR)$(LIBEXECDIR)/ttybroker/ttybroker-helper
	rm -f $(DESTDIR)$(LIBDIR)/ttybroker/libttybroker-preload.so
	rm -f $(DESTDIR)$(PYTHON_SITEDIR)/ttybroker/*.py
	rm -rf $(DESTDIR)$(PYTHON_SITEDIR)/ttybroker/__pycache__
	rm -f $(DESTDIR)$(BINDIR)/ttybroker $(DESTDIR)$(SBINDIR)/ttybrokerd \
	  $(DESTDIR)$(LIBDIR)/libttybroker.* \
	  $(DESTDIR)$(INCLUDEDIR)/ttybroker.h $(DESTDIR)$(PCDIR)/ttybroker.pc
	for m in $(MANS); do s=$${m##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$${m##*/}; done
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/ttybroker.service $(DESTDIR)$(SYSTEMDUNITDIR)/ttybroker.socket
	@if [ -f "$(DESTDIR)$(INST_LIST)" ]; then \
	  dirs=$$(sort -r "$(DESTDIR)$(INST_LIST)"); rm -f "$(DESTDIR)$(INST_LIST)"; \
	  for d in $$dirs; do rmdir "$(DESTDIR)$$d" 2>/dev/null || true; done; \
	fi
	@$(LDCONFIG_RUN)

clean:
	rm -rf $(B)

include fuzz/fuzz.mk
-include $(shell find $(B) -name '*.d' 2>/dev/null)

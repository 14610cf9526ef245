# SPDX-License-Identifier: MIT
# fuzz.mk - libFuzzer harnesses for every parser of untrusted input
# (fuzz/README.md).  Included from the Makefile.
#
#   make fuzz-build                 build every harness into $(FZ)/
#   make fuzz [FUZZ_SECONDS=30]     build, then run each harness for N seconds;
#                                   fails on any crash, leak or sanitizer report
#   make fuzz FUZZ_NAMES='proto policy'   only these harnesses
#   make fuzz-clean                 remove $(FZ)/ (make clean does too)
#
# The library sources are compiled again with clang and
# -fsanitize=fuzzer-no-link,address,undefined (UB aborts), the harnesses
# linked with -fsanitize=fuzzer,address,undefined.  Each run writes new
# inputs to $(FZ)/corpus/NAME (the first corpus dir) and reads the
# committed seeds in fuzz/corpus/NAME, which it never writes; crashes go
# to $(FZ)/crashes/NAME/.

FUZZ_CC      ?= clang
FZ           ?= build-fuzz
FUZZ_SECONDS ?= 30
FUZZ_FLAGS   ?=

FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all \
                -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -MMD -MP $(FUZZ_SAN)
# The gcc build judges the library's warnings; clang's differ (it flags
# vsnprintf in format wrappers), so only the harnesses get -Werror here.
FUZZ_WARN     = $(filter-out -Werror,$(WARN)) -Wno-format-nonliteral
FUZZ_HARN    := $(wildcard fuzz/fuzz_*.c)
FUZZ_NAMES   := $(FUZZ_HARN:fuzz/fuzz_%.c=%)
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FZ)/fuzz_%)
# The library, plus lint's judge and exec's ELF reader (CLI sources with no
# CLI dependencies).
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FZ)/%.o) $(FZ)/frontend/cli_lint.o $(FZ)/frontend/cli_elf.o
FUZZ_LIB     := $(FZ)/libttybroker-fuzz.a

.PHONY: fuzz fuzz-build fuzz-clean
.SECONDARY: $(FUZZ_HARN:%.c=$(FZ)/%.o)
fuzz-build: $(FUZZ_BINS)

$(FZ)/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_WARN) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_HARN:%.c=$(FZ)/%.o): FUZZ_WARN = $(WARN) -Wno-format-nonliteral

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(FZ)/fuzz_%: $(FZ)/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(LIBS)

# One harness after the other (the machine is small); every one runs even
# if an earlier one failed, and the target fails if any did.
fuzz: fuzz-build
	@fail=""; for n in $(FUZZ_NAMES); do \
	  mkdir -p $(FZ)/corpus/$$n $(FZ)/crashes/$$n; \
	  dict=""; [ -f fuzz/$$n.dict ] && dict="-dict=fuzz/$$n.dict"; \
	  echo "== fuzz_$$n ($(FUZZ_SECONDS) s)"; \
	  ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  $(FZ)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -print_final_stats=1 -artifact_prefix=$(FZ)/crashes/$$n/ $$dict \
	    $(FUZZ_FLAGS) $(FZ)/corpus/$$n fuzz/corpus/$$n \
	    > $(FZ)/fuzz_$$n.log 2>&1 || fail="$$fail $$n"; \
	  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|==[0-9]+==ERROR|SUMMARY)' \
	    $(FZ)/fuzz_$$n.log || true; \
	done; \
	if [ -n "$$fail" ]; then \
	  echo "fuzz: failed:$$fail (logs in $(FZ)/fuzz_NAME.log, inputs in $(FZ)/crashes/)"; \
	  exit 1; \
	fi

fuzz-clean:
	rm -rf $(FZ)
clean: fuzz-clean

-include $(shell find $(FZ) -name '*.d' 2>/dev/null)

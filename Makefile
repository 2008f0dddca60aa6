# bgf - build, test, run. GNU make, C17, no autotools.
#   make            every program into build/
#   make test       every test (unit + integration); SAN=1 builds with ASan+UBSan into build/san
#   make run        bgfd in the foreground on the embedded loopback default
#   make fuzz       libFuzzer targets (FUZZ_SECONDS each, default 60)
#   make bench      benchmarks (bench/), prints tables
#   make demo       the lawful-interception demo on loopback

CC      ?= cc
ifeq ($(origin CC),default)
CC      := gcc
endif
SAN     ?= 0
BUILD   ?= build
OPT     ?= -O2
ifeq ($(SAN),1)
BUILD   := $(BUILD)/san
OPT     := -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN    := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
           -Wpointer-arith -Wformat=2 -Wvla -Wno-unused-parameter
CFLAGS  ?=
CFLAGS  += -std=c17 -D_GNU_SOURCE -g $(OPT) $(WARN) -Isrc -MMD -MP
SANFLAGS := -fsanitize=address,undefined
LDFLAGS += $(if $(filter 1,$(SAN)),$(SANFLAGS))

MODULES := common h248 mg dp li
# module -> modules it links against (in link order)
DEPS_common :=
DEPS_h248   := common
DEPS_li     := common
DEPS_dp     := common
DEPS_mg     := dp li h248 common
# module -> system libraries
SYS_common  := -lpthread
SYS_h248    :=
SYS_li      := -lcrypto -lpcap
SYS_dp      := -lpthread -lbpf -lelf -lz
SYS_mg      := -linih -lcrypto -lpthread

srcs    = $(sort $(wildcard src/$(1)/*.c))
objs    = $(patsubst src/%.c,$(BUILD)/obj/%.o,$(call srcs,$(1)))
libof   = $(BUILD)/lib/libbgf_$(1).a
closure = $(1) $(DEPS_$(1))
libsof  = $(foreach m,$(call closure,$(1)),$(call libof,$(m)))
sysof   = $(sort $(foreach m,$(call closure,$(1)),$(SYS_$(m))))

# programs: src/bin/NAME.c, with the module whose closure it links
PROGRAMS := bgf-h248 bgfd bgf-licn bgf-df
MOD_bgf-h248 := h248
MOD_bgfd     := mg
MOD_bgf-licn := li
MOD_bgf-df   := li

all: $(foreach p,$(PROGRAMS),$(if $(wildcard src/bin/$(p).c),$(BUILD)/$(p)))

define module_rules
$(call libof,$(1)): $(call objs,$(1))
	@mkdir -p $$(@D)
	rm -f $$@
	$$(if $$^,ar rcs $$@ $$^,ar rcs $$@)
endef
$(foreach m,$(MODULES),$(eval $(call module_rules,$(m))))

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# the data plane's kernel fast path: a BPF object (clang -target bpf) embedded in libbgf_dp
# as a libbpf skeleton header
BPF_CFLAGS := -O2 -g -target bpf -I/usr/include/$(shell $(CC) -print-multiarch 2>/dev/null || echo x86_64-linux-gnu) -Isrc
$(BUILD)/gen/dp/fastpath.bpf.o: src/dp/bpf/fastpath.bpf.c src/dp/fastpath_abi.h src/dp/rtp_math.h
	@mkdir -p $(@D)
	clang $(BPF_CFLAGS) -c -o $@ $<
$(BUILD)/gen/dp/fastpath.skel.h: $(BUILD)/gen/dp/fastpath.bpf.o
	PATH="$$PATH:/usr/sbin:/sbin" bpftool gen skeleton $< name fastpath_bpf > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/dp/fastpath.o: $(BUILD)/gen/dp/fastpath.skel.h
$(BUILD)/obj/dp/fastpath.o: CFLAGS += -I$(BUILD)/gen

define program_rules
$(BUILD)/$(1): src/bin/$(1).c $(call libsof,$(MOD_$(1)))
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) -o $$@ $$< $(call libsof,$(MOD_$(1))) $$(LDFLAGS) $(call sysof,$(MOD_$(1)))
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rules,$(p))))

# unit tests: tests/MOD/test_*.c, one binary each, linked with cmocka and MOD's closure
UNIT_SRCS := $(sort $(wildcard $(foreach m,$(MODULES) tools,tests/$(m)/test_*.c)))
UNIT_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
MOD_tools := mg li h248

define unit_rule
$(patsubst tests/%.c,$(BUILD)/tests/%,$(1)): $(1) $(call libsof,$(MOD_$(2))) $(wildcard tests/$(2)/*.h)
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) -Itests -o $$@ $$< $(call libsof,$(MOD_$(2))) $$(LDFLAGS) $(call sysof,$(MOD_$(2))) -lcmocka
endef
MOD_common := common
MOD_h248 := h248
MOD_li := li
MOD_dp := dp
MOD_mg := mg
$(foreach t,$(UNIT_SRCS),$(eval $(call unit_rule,$(t),$(word 2,$(subst /, ,$(t))))))

# helper programs that integration tests need (tests/MOD/*_tool.c style: tests/helpers/NAME.c)
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPER_BINS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(HELPER_SRCS))
$(BUILD)/tests/helpers/%: tests/helpers/%.c $(call libsof,mg)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(call libsof,mg) $(LDFLAGS) $(call sysof,mg)
# dpctl drives the data plane alone (dp.h): it links dp's closure only
$(BUILD)/tests/helpers/dpctl: tests/helpers/dpctl.c $(call libsof,dp)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(call libsof,dp) $(LDFLAGS) $(call sysof,dp)

TESTS ?= all
deps-test:
	@scripts/deps.sh test
deps-run:
	@scripts/deps.sh run

test: deps-test all $(UNIT_BINS) $(HELPER_BINS)
	@BUILD=$(BUILD) SAN=$(SAN) tests/run.sh $(TESTS)

run: deps-run $(BUILD)/bgfd
	$(BUILD)/bgfd $(RUN_ARGS)

# --- fuzzing (clang libFuzzer) ---
# Every module is compiled once with fuzzer coverage and sanitizers into one archive; each
# fuzz/fuzz_*.c target links what it uses from it.
FUZZ_SECONDS ?= 60
FUZZ_SRCS := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
FUZZ_CFLAGS := -std=c17 -D_GNU_SOURCE -g -O1 -Isrc -fno-sanitize-recover=all
FUZZ_OBJS := $(patsubst src/%.c,build/fuzz/obj/%.o,$(foreach m,$(MODULES),$(call srcs,$(m))))
build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -MMD -MP -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<
build/fuzz/obj/dp/fastpath.o: $(BUILD)/gen/dp/fastpath.skel.h
build/fuzz/obj/dp/fastpath.o: FUZZ_CFLAGS += -I$(BUILD)/gen
build/fuzz/libbgf_fuzz.a: $(FUZZ_OBJS)
	rm -f $@
	ar rcs $@ $^
build/fuzz/%: fuzz/%.c build/fuzz/libbgf_fuzz.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build/fuzz/libbgf_fuzz.a \
	    -linih -lcrypto -lpcap -lpthread -lbpf -lelf -lz
fuzz: deps-test $(FUZZ_BINS)
	@scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

# benchmark programs: bench/NAME.c -> build/bench/NAME, linked with dp, li and common
# (not part of `all`: bench/run.sh builds them and skips a relay whose program does not build)
BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
BENCH_LIBS := $(call libof,dp) $(call libof,li) $(call libof,common)
$(BUILD)/bench/%: bench/%.c $(BENCH_LIBS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(BENCH_LIBS) $(LDFLAGS) $(sort $(SYS_dp) $(SYS_li) $(SYS_common))
$(BUILD)/bench/urfwd: LDFLAGS += -luring
bench-bins: $(BENCH_BINS)

bench: all
	@scripts/deps.sh bench
	@bench/run.sh

demo: all
	@scripts/deps.sh test
	@scripts/demo.sh

clean:
	rm -rf build

.PHONY: all test run fuzz bench bench-bins demo clean deps-test deps-run
-include $(shell find build -name '*.d' 2>/dev/null)

# SPDX-License-Identifier: GPL-2.0-or-later
# slxrun -- one entry point: make, make test, make run, make bench, make deps.

CC      ?= gcc
CFLAGS  ?= -O2 -g
# -Wformat-truncation guesses at run-time lengths from types (an int "may" be
# 11 digits); every snprintf whose result matters is checked explicitly.
WARN    := -Wall -Wextra -Werror -Wmissing-prototypes -Wshadow -Wformat=2 -Wno-format-nonliteral \
           -Wno-format-truncation
BASE    := -std=gnu11 -D_GNU_SOURCE -I. $(WARN)
# yajl, libseccomp and libcap are linked statically and libmicrohttpd,
# libcurl, libarchive and libcrypto are loaded on first use (common/lazylib.c): every shared library costs
# start-up time on each `slxrun` invocation, the cold-start hot path.
LIBS    := -Wl,-Bstatic -lyajl_s -lseccomp -lcap -Wl,-Bdynamic -lmnl -lpthread -lm
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer

B       := build
MODULES := common oci image cgroups runtime shim
SRCS    := $(foreach m,$(MODULES),$(wildcard $(m)/*.c))
OBJS    := $(SRCS:%.c=$(B)/%.o)
SOBJS   := $(SRCS:%.c=$(B)/asan/%.o)
# The command line (main, the flag parser, one file per verb) is the top
# floor: its objects go straight into slxrun, over the module libraries.
CLI_SRCS  := $(wildcard cli/*.c)
CLI_OBJS  := $(CLI_SRCS:%.c=$(B)/%.o)
CLI_SOBJS := $(CLI_SRCS:%.c=$(B)/asan/%.o)
LIBA    := $(foreach m,$(MODULES),$(B)/lib$(m).a)
# Link order: users before what they use.
LINKLIBS  := $(B)/libshim.a $(B)/libruntime.a $(B)/libcgroups.a $(B)/libimage.a $(B)/liboci.a \
	     $(B)/libcommon.a
SLINKLIBS := $(LINKLIBS:$(B)/%=$(B)/asan/%)

UNIT_SRCS  := $(wildcard tests/unit/*.c)
PRIV_SRCS  := $(wildcard tests/privileged/*.c)
INTEG_SRCS := $(wildcard tests/integration/*.c)
# The shared harness of the suites that drive built binaries (integration, vm).
TESTLIB_HARNESS := tests/lib/harness.c tests/lib/harness.h
TESTLIB_SHIM    := tests/lib/shim_proc.c tests/lib/shim_proc.h

.PHONY: all deps test test-unit test-privileged test-integration test-integration-asan test-vm test-containerd test-podman test-lambda-ric run bench bench-image python-image clean format format-check examples soak soak-short

all: slxrun

$(B)/.deps:
	@./tests/deps.sh
	@mkdir -p $(B) && touch $@

deps:
	./tests/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) -O1 -g $(SAN) -MMD -MP -c $< -o $@

define module_lib
$(B)/lib$(1).a: $(filter $(B)/$(1)/%,$(OBJS))
	@rm -f $$@
	ar rcs $$@ $$^
$(B)/asan/lib$(1).a: $(filter $(B)/asan/$(1)/%,$(SOBJS))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call module_lib,$(m))))

# The sandbox's default seccomp profile compiled to BPF at build time by a
# tool linked with the libraries below the shim (shim/gen/): the program is
# then part of libshim, and nothing compiles it at run time.
GEN_BPF     := $(B)/gen/seccomp_default_bpf.c
GEN_TOOL    := $(B)/gen/seccomp-bpf-gen
GEN_TOOL_LIBS := $(B)/libruntime.a $(B)/libcgroups.a $(B)/liboci.a $(B)/libcommon.a
$(GEN_TOOL): shim/gen/seccomp_bpf_gen.c shim/gen/seccomp_default.c shim/floor.h $(GEN_TOOL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -o $@ shim/gen/seccomp_bpf_gen.c shim/gen/seccomp_default.c \
		$(GEN_TOOL_LIBS) $(LIBS)
$(GEN_BPF): $(GEN_TOOL)
	$(GEN_TOOL) >$@.tmp && mv $@.tmp $@
$(B)/gen/seccomp_default_bpf.o: $(GEN_BPF)
	$(CC) $(BASE) $(CFLAGS) -c $< -o $@
$(B)/asan/gen/seccomp_default_bpf.o: $(GEN_BPF)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) -O1 -g $(SAN) -c $< -o $@
$(B)/libshim.a: $(B)/gen/seccomp_default_bpf.o
$(B)/asan/libshim.a: $(B)/asan/gen/seccomp_default_bpf.o

# The helper a --share-memory sandbox's agent execs in place of each function
# process (shim/gen/share_exec.c): static, without libc, embedded as bytes.
SHARE_EXEC     := $(B)/gen/share-exec
SHARE_EXEC_BIN := $(B)/gen/share_exec_bin.c
$(SHARE_EXEC): shim/gen/share_exec.c
	@mkdir -p $(dir $@)
	$(CC) -static -nostdlib -Os -fno-stack-protector -fno-builtin \
		-fno-asynchronous-unwind-tables $(WARN) -o $@ $<
$(SHARE_EXEC_BIN): $(SHARE_EXEC)
	{ echo '/* Generated from $(SHARE_EXEC) (shim/gen/share_exec.c). */'; \
	  echo '#include "shim/floor.h"'; \
	  echo 'const unsigned char shim_share_exec_bin[] = {'; \
	  od -An -v -tx1 $< | sed 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	  echo '};'; \
	  echo 'const size_t shim_share_exec_bin_len = sizeof(shim_share_exec_bin);'; } >$@.tmp && \
	mv $@.tmp $@
$(B)/gen/share_exec_bin.o: $(SHARE_EXEC_BIN)
	$(CC) $(BASE) $(CFLAGS) -c $< -o $@
$(B)/asan/gen/share_exec_bin.o: $(SHARE_EXEC_BIN)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) -O1 -g $(SAN) -c $< -o $@
$(B)/libshim.a: $(B)/gen/share_exec_bin.o
$(B)/asan/libshim.a: $(B)/asan/gen/share_exec_bin.o

# The trace replay's hot path: every event calls from the replay into the
# model and the policy, a few nanoseconds each, so these files are built at
# -O3 with link-time optimisation and slxrun's link inlines across them
# (about a tenth less time; the same results, there being no -ffast-math
# or FMA).  Fat objects: a link without -flto still finds their code.
HOT_OBJS := $(addprefix $(B)/shim/,model.o policy.o policy_decide.o replay.o replay_stream.o \
	      replay_stats.o)
HOT_FLAGS := -O3 -flto=auto -ffat-lto-objects
$(HOT_OBJS): CFLAGS += $(HOT_FLAGS)

slxrun: $(CLI_OBJS) $(LINKLIBS)
	$(CC) $(CFLAGS) $(HOT_FLAGS) -o $@ $(CLI_OBJS) $(LINKLIBS) $(LIBS)

# The same binary under ASAN+UBSAN: the integration suite runs against it too.
$(B)/slxrun-asan: $(CLI_SOBJS) $(SLINKLIBS)
	$(CC) $(SAN) -o $@ $(CLI_SOBJS) $(SLINKLIBS) $(LIBS)

$(B)/unit-tests: $(UNIT_SRCS) $(SLINKLIBS)
	$(CC) $(BASE) -O1 -g $(SAN) -o $@ $(UNIT_SRCS) $(SLINKLIBS) $(LIBS) -lcriterion

$(B)/privileged-tests: $(PRIV_SRCS) tests/privileged/priv.h $(SLINKLIBS)
	$(CC) $(BASE) -O1 -g $(SAN) -o $@ $(PRIV_SRCS) $(SLINKLIBS) $(LIBS) -lcriterion

$(B)/integration-tests: $(INTEG_SRCS) $(TESTLIB_HARNESS) $(TESTLIB_SHIM)
	$(CC) $(BASE) -O1 -g -o $@ $(INTEG_SRCS) $(filter %.c,$(TESTLIB_HARNESS) $(TESTLIB_SHIM)) \
		-lcriterion -lcurl

examples: slxrun
	./rootfs-examples/build.sh $(B)/examples
	./rootfs-examples/build-bench.sh $(B)/examples

# The Python function image (issue 12's example): Debian packages into an OCI layout,
# build/examples/python-image, tag py.  Not part of `make run` (it downloads ~10 MB).
python-image:
	./rootfs-examples/build-python-image.sh $(B)/examples

test: $(B)/.deps
	$(MAKE) slxrun $(B)/slxrun-asan $(B)/unit-tests $(B)/privileged-tests $(B)/integration-tests examples
	$(MAKE) format-check test-unit test-privileged test-integration test-integration-asan soak-short test-vm test-containerd test-podman test-lambda-ric fuzz-smoke

# Unit tests are pure: run by root, they drop to nobody to prove they need no
# privileges (the checkout must be readable by nobody).
UNPRIVILEGED = $(if $(filter 0,$(shell id -u)),setpriv --reuid=65534 --regid=65534 --clear-groups)
test-unit: $(B)/unit-tests
	ASAN_OPTIONS=detect_leaks=1 $(UNPRIVILEGED) $(B)/unit-tests --jobs 2

# Root on this host: live cgroups, namespaces, mounts, capabilities, seccomp, netlink.
test-privileged: $(B)/privileged-tests
	ASAN_OPTIONS=detect_leaks=1 $(B)/privileged-tests --jobs 2

test-integration: $(B)/integration-tests slxrun examples
	SLXRUN=$(CURDIR)/slxrun SLX_EXAMPLES=$(CURDIR)/$(B)/examples $(B)/integration-tests --jobs 1

# The cgroup v2 limits suite and the containerd suite, run inside a qemu VM on a pure v2 kernel
# (tests/vm/run.sh).
VM_TEST_SRCS := $(wildcard tests/vm/*.c) $(filter %.c,$(TESTLIB_HARNESS) $(TESTLIB_SHIM))
test-vm: $(B)/.deps
	$(MAKE) slxrun $(B)/unit-tests $(B)/privileged-tests $(B)/integration-tests examples
	$(CC) $(BASE) -O1 -g -o $(B)/vm-tests $(VM_TEST_SRCS) -lcriterion -lcurl
	$(CC) $(BASE) -O1 -g -o $(B)/vm-task-update tests/vm/tools/task-update.c
	./tests/vm/run.sh

test-integration-asan: $(B)/integration-tests $(B)/slxrun-asan examples
	ASAN_OPTIONS=detect_leaks=1 SLXRUN=$(CURDIR)/$(B)/slxrun-asan \
		SLX_EXAMPLES=$(CURDIR)/$(B)/examples $(B)/integration-tests --jobs 1

# The shim's fault soak (tests/soak/soak.py): 10,000 mixed invocations, crashes,
# timeouts, kill -9s, cut connections and oversize bodies against a live shim;
# prints its figures.  soak-short is the same in under a minute, in `make test`.
soak: slxrun examples
	./tests/soak/soak.py ./slxrun $(B)/examples -n 10000 -c 16

soak-short: slxrun examples
	./tests/soak/soak.py ./slxrun $(B)/examples -n 1500 -c 8

run: $(B)/.deps
	$(MAKE) slxrun examples
	./rootfs-examples/run-demo.sh $(B)/examples

bench: $(B)/.deps
	$(MAKE) slxrun examples
	./tests/bench/run.sh $(B)/examples

# The image figures of README's Images section, the Python image side by side in one run.
bench-image: $(B)/.deps
	$(MAKE) slxrun python-image
	./tests/bench/image_bench.sh $(B)/bench-image

# slxrun as containerd-shim-runc-v2's BinaryName under a private containerd, runc as the control.
test-containerd: $(B)/.deps
	$(MAKE) slxrun examples
	./tests/containerd/run.sh ./slxrun $(B)/examples

# slxrun as podman's --runtime (through conmon) on private storage roots, runc as the control.
test-podman: $(B)/.deps
	$(MAKE) slxrun examples
	./tests/podman/run.sh ./slxrun $(B)/examples

# AWS's Lambda Runtime Interface Client for Node.js (npm aws-lambda-ric, built once into
# $(B)/lambda-ric) as a function's bootstrap under shim serve and invoke.
test-lambda-ric: $(B)/.deps
	$(MAKE) slxrun examples
	./tests/lambda-ric/run.sh ./slxrun $(B)/examples $(B)/lambda-ric

# libFuzzer harnesses (tests/fuzz/): the parsers built again by clang with the
# fuzzer's coverage and ASAN+UBSAN into $(B)/fuzz/, one binary per parser.
FUZZ_CC      := clang
# clang 14 has no -Wformat-truncation, which BASE turns off for gcc.
FUZZ_BASE    := $(BASE) -Wno-unknown-warning-option
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_NAMES   := config process state agent_frame trace image_doc init_error unpack users
FUZZ_SECONDS ?= 60
FUZZ_SRCS    := $(wildcard common/*.c oci/*.c) shim/agent_proto.c shim/trace.c shim/lambda.c \
                image/manifest.c image/json.c image/config.c image/ref.c image/users.c \
                image/unpack.c image/store.c image/refs.c image/digest.c
FUZZ_OBJS    := $(FUZZ_SRCS:%.c=$(B)/fuzz/%.o)
FUZZ_LIBS    := $(B)/fuzz/libshim.a $(B)/fuzz/libimage.a $(B)/fuzz/liboci.a $(B)/fuzz/libcommon.a
FUZZ_BINS    := $(FUZZ_NAMES:%=$(B)/fuzz/fuzz_%)
# New inputs go to $(B)/fuzz/corpus/NAME (the first directory), crashes to
# $(B)/fuzz/NAME-crash-*; the committed seeds stay as they are.  The JSON
# harnesses get the spec's keys as a dictionary, the unpack tar's, and it is
# bounded in time (libFuzzer's own bound is 20 minutes).
FUZZ_RUN = for n in $(FUZZ_NAMES); do mkdir -p $(B)/fuzz/corpus/$$n && \
	case $$n in config|process|state|image_doc) d=-dict=tests/fuzz/oci.dict;; \
	unpack) d="-dict=tests/fuzz/tar.dict -timeout=30";; *) d=;; esac && \
	ASAN_OPTIONS=detect_leaks=1 $(B)/fuzz/fuzz_$$n -max_total_time=$(1) $$d \
	-artifact_prefix=$(B)/fuzz/$$n- $(B)/fuzz/corpus/$$n tests/fuzz/corpus/$$n || exit 1; done

.PHONY: fuzz fuzz-smoke

$(B)/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_BASE) -O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN) -MMD -MP -c $< -o $@

define fuzz_lib
$(B)/fuzz/lib$(1).a: $(filter $(B)/fuzz/$(1)/%,$(FUZZ_OBJS))
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach m,common oci shim image,$(eval $(call fuzz_lib,$(m))))

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIBS)
	$(FUZZ_CC) $(FUZZ_BASE) -O1 -g -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $< $(FUZZ_LIBS) \
		-Wl,-Bstatic -lyajl_s -Wl,-Bdynamic -lcrypto -lm

# Each harness for FUZZ_SECONDS; fuzz-smoke (part of make test) for seconds.
fuzz: $(B)/.deps
	$(MAKE) $(FUZZ_BINS)
	$(call FUZZ_RUN,$(FUZZ_SECONDS))

fuzz-smoke: $(FUZZ_BINS)
	$(call FUZZ_RUN,5)

-include $(FUZZ_OBJS:.o=.d)

# Pinned to the clang-format Debian 12 ships: another version formats
# differently, and format-check (run by make test) would fail on drift.
CLANG_FORMAT ?= clang-format-14
format:
	$(CLANG_FORMAT) -i $$(git ls-files '*.c' '*.h')

format-check: $(B)/.deps
	$(CLANG_FORMAT) --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(B) slxrun

-include $(OBJS:.o=.d) $(SOBJS:.o=.d) $(CLI_OBJS:.o=.d) $(CLI_SOBJS:.o=.d)

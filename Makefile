# s2s: plain Makefile. Objects in build/, one binary ./s2s, tests in build/tests/.
CC      ?= cc
# BLAS=openblas (the default) or BLAS=dnnl: which library blas.h runs on
# (src/nn/blas.c or src/nn/blas_dnnl.c); `make BLAS=dnnl` builds in build-dnnl/.
BLAS    ?= openblas
ifeq ($(BLAS),dnnl)
PKGS    := libcjson icu-uc libmicrohttpd
BLAS_LIBS := -ldnnl -fopenmp
else
PKGS    := openblas libcjson icu-uc libmicrohttpd
BLAS_LIBS :=
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(BLAS_LIBS)
ifeq ($(strip $(PKG_LIBS)),)
PKG_CFLAGS := -I/usr/include/x86_64-linux-gnu/openblas-pthread -I/usr/include/cjson
PKG_LIBS   := -lopenblas -lcjson -licuuc -licudata -lmicrohttpd
endif

OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
override CFLAGS += -std=c11 -pthread -Wall -Wextra -Wpedantic -MMD -MP -D_POSIX_C_SOURCE=200809L
CPPFLAGS += -Iinclude $(PKG_CFLAGS)
LDLIBS  += $(PKG_LIBS) -lm -pthread

# `make MPI=1`: ./s2s with MPI (dist.h), compiled by Open MPI's mpicc, its
# objects in build-mpi/. The default build links no MPI.
ifeq ($(MPI),1)
CC      := mpicc
CPPFLAGS += -DS2S_MPI
endif
# build/, build-mpi/, build-dnnl/ or build-mpi-dnnl/: one folder per kind of build
BUILD   ?= build$(if $(filter 1,$(MPI)),-mpi)$(if $(filter dnnl,$(BLAS)),-dnnl)
# src/<layer>/*.c: the library; src/cli/: the command line (src/README.md)
LIB_SRC := $(filter-out src/cli/% src/nn/blas.c src/nn/blas_dnnl.c,$(wildcard src/*/*.c))
LIB_SRC += $(if $(filter dnnl,$(BLAS)),src/nn/blas_dnnl.c,src/nn/blas.c)
CLI_SRC := $(wildcard src/cli/*.c)
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
CLI_OBJ := $(CLI_SRC:src/%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TOOL_BIN := $(BUILD)/tests/tool_paramdiff
BIN     ?= s2s

.PHONY: all test test-asan clean demo
all: $(BIN) $(TEST_BIN) $(TOOL_BIN)

# Which build ./s2s last came from: switching between `make` and `make MPI=1`
# relinks it even when the other build's objects are all up to date.
FLAVOUR := $(BUILD) $(CC) $(MPI) $(BLAS)
FLAVOUR_STAMP := $(dir $(BIN)).$(notdir $(BIN)).flavour
$(shell mkdir -p $(dir $(FLAVOUR_STAMP)) && [ "$$(cat $(FLAVOUR_STAMP) 2>/dev/null)" = '$(FLAVOUR)' ] || echo '$(FLAVOUR)' > $(FLAVOUR_STAMP))

$(BIN): $(CLI_OBJ) $(BUILD)/libs2s.a $(FLAVOUR_STAMP)
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libs2s.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/libs2s.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

# activ.c's and optim.c's loops are written to be vectorised (see activ.h)
$(BUILD)/nn/activ.o $(BUILD)/nn/optim.o: override CFLAGS += -ftree-vectorize -fno-math-errno
# OPTIM_FLAGS: extra flags for optim.o alone; scripts/test.sh builds an MPI
# variant whose update rounds differently (-mfma -ffp-contract=fast), so that
# tests/cli_mpi.sh can check that ranks which stop agreeing are stopped.
$(BUILD)/nn/optim.o: override CFLAGS += $(OPTIM_FLAGS)

$(BUILD)/nn/blas_dnnl.o: override CFLAGS += -fopenmp

$(BUILD)/%.o: src/%.c | $(BUILD)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/%.c $(BUILD)/libs2s.a | $(BUILD)/tests
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests -o $@ $< $(BUILD)/libs2s.a $(LDFLAGS) $(LDLIBS)

$(BUILD) $(BUILD)/tests:
	mkdir -p $@

# The README's test command. Prints "N passed, N failed" last.
test: all
	@S2S_SKIP_SLOW=$(S2S_SKIP_SLOW) S2S=./$(BIN) TEST_BIN_DIR=$(BUILD)/tests bash tests/run.sh

# Unit tests and CLI tests under AddressSanitizer and UBSan.
test-asan:
	$(MAKE) BUILD=build-asan BIN=build-asan/s2s OPT="-O1" \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  LDFLAGS="-fsanitize=address,undefined" S2S_SKIP_SLOW=1 S2S_MPI=none test

demo: $(BIN)
	bash scripts/demo.sh

clean:
	rm -rf build build-mpi build-mpi-odd build-dnnl build-mpi-dnnl build-asan build-fuzz $(BIN) $(FLAVOUR_STAMP)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# Benchmark helpers (scripts/bench.sh): the FMA peak loop and the sgemm timer.
.PHONY: bench
bench: $(BUILD)/bench/fma_peak $(BUILD)/bench/fma_peak_avx2 $(BUILD)/bench/gemm_bench $(BUILD)/bench/read_bw
$(BUILD)/bench/fma_peak: tests/bench/fma_peak.c | $(BUILD)/bench
	$(CC) -O2 -march=native -pthread -o $@ $<
$(BUILD)/bench/fma_peak_avx2: tests/bench/fma_peak.c | $(BUILD)/bench
	$(CC) -O2 -mavx2 -mfma -pthread -o $@ $<
$(BUILD)/bench/gemm_bench: tests/bench/gemm_bench.c $(BUILD)/libs2s.a | $(BUILD)/bench
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libs2s.a $(LDFLAGS) $(LDLIBS)
$(BUILD)/bench/read_bw: tests/bench/read_bw.c | $(BUILD)/bench
	$(CC) -O2 -march=native -o $@ $<
# scripts/bench-decode.sh's kernel comparison with oneDNN (needs libdnnl-dev)
$(BUILD)/bench/matmul_dnnl: tests/bench/matmul_dnnl.c $(BUILD)/libs2s.a | $(BUILD)/bench
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libs2s.a $(LDFLAGS) $(LDLIBS) -ldnnl
$(BUILD)/bench:
	mkdir -p $@
# scripts/bench-mpi.sh: the gradient exchange's time (make MPI=1 bench-mpi)
.PHONY: bench-mpi
bench-mpi: $(BUILD)/bench/allreduce_bench
$(BUILD)/bench/allreduce_bench: tests/bench/allreduce_bench.c $(BUILD)/libs2s.a | $(BUILD)/bench
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libs2s.a $(LDFLAGS) $(LDLIBS)

# libFuzzer harnesses (clang): `make fuzz` builds them, `make check-fuzz`
# runs each for FUZZ_SECONDS from the seeds in tests/fuzz/corpus/.
FUZZERS := model config request tokenizer bpe corpus bleu nbest
FUZZ_SECONDS ?= 30
FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
.PHONY: fuzz check-fuzz
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_FLAGS) -fsanitize=fuzzer-no-link" build-fuzz/libs2s.a
	for f in $(FUZZERS); do \
	  clang $(CPPFLAGS) -std=c11 -D_POSIX_C_SOURCE=200809L $(FUZZ_FLAGS) -fsanitize=fuzzer -Itests/fuzz \
	    -o build-fuzz/fuzz_$$f tests/fuzz/fuzz_$$f.c build-fuzz/libs2s.a $(LDLIBS) || exit 1; \
	done
check-fuzz: fuzz
	@pass=0; fail=0; for f in $(FUZZERS); do \
	  mkdir -p build-fuzz/corpus-$$f; \
	  seeds=; for d in tests/fuzz/corpus/$$f tests/fuzz/regressions/$$f; do [ -d $$d ] && seeds="$$seeds $$d"; done; \
	  [ $$f = model ] && seeds="$$seeds tests/fixtures"; \
	  if build-fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -max_len=65536 \
	       -artifact_prefix=build-fuzz/ build-fuzz/corpus-$$f $$seeds > build-fuzz/fuzz_$$f.log 2>&1; then \
	    pass=$$((pass + 1)); echo "PASS fuzz_$$f ($$(grep -o 'Done [0-9]* runs' build-fuzz/fuzz_$$f.log))"; \
	  else \
	    fail=$$((fail + 1)); echo "FAIL fuzz_$$f"; tail -30 build-fuzz/fuzz_$$f.log | sed 's/^/    /'; \
	  fi; \
	done; echo "$$pass passed, $$fail failed"; [ $$fail -eq 0 ]

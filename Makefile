# mailoauth's front door: a thin wrapper over CMake/ctest so a newcomer needs two
# commands. `make demo` shows mailoauth at work on the local stack; `make test`
# runs every test (unit, integration against real servers, CLI, sanitizers,
# formatting). Both install missing Debian/npm packages first.
#
#   make            build (build/)
#   make test       install deps, build, format check, all tests, ASan/UBSan unit tests
#   make demo       install deps, build, start the stack, walk through the features
#   make bench      run the benchmarks, write bench/results/
#   make check      clang-format check and clang-tidy over the tree
#   make format     reformat the tree in place
#   make fuzz       build the libFuzzer targets with clang and run each for FUZZ_SECONDS;
#                   any crash or sanitizer finding fails it (tests/fuzz/README.md)
#   make stack-up / stack-down   the test stack by hand (state in build/stack)
#   make clean      remove the build trees

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 30
CMAKE_FLAGS ?=

SOURCES = $(shell git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' 2>/dev/null || find src apps tests bench -name '*.[ch]pp')

.PHONY: all build deps deps-build test test-only demo bench check format format-check tidy fuzz \
        stack-up stack-down clean

all: build

deps:
	@scripts/install-deps

deps-build:
	@scripts/install-deps --no-stack

# -g1 (line tables, function names): backtraces and ASan reports keep file:line,
# and both builds compile ~25-30% faster than with -g (measured on this tree:
# ARCHITECTURE.md, "Build and tests"). For gdb with locals: CMAKE_FLAGS='-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g'.
$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	      -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" $(CMAKE_FLAGS)

build: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DMAILOAUTH_SANITIZE=ON \
	      -DMAILOAUTH_BENCH=OFF -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1" $(CMAKE_FLAGS)

test: deps
	@$(MAKE) --no-print-directory test-only

test-only: format-check build $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target sanitizer_tests
	@echo "== tests (unit, integration against the real stack, cli) =="
	ctest --test-dir $(BUILD) --output-on-failure -j 2
	@echo "== unit and network tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j 2 -L 'unit|integration-asan'

demo: deps build
	scripts/demo

bench: deps-build build
	bench/run $(BUILD)

format-check:
	@clang-format --dry-run -Werror $(SOURCES) && echo "clang-format: clean"

format:
	clang-format -i $(SOURCES)

# clang-tidy 16 reads a copy of the compile database with clang's spelling of the
# standard and the <expected> workaround described in CMakeLists.txt.
tidy: $(BUILD)/build.ninja
	@mkdir -p $(BUILD)/tidy
	@sed -e 's/-std=c++23/-std=c++2b -U__cpp_concepts -D__cpp_concepts=202002L/' \
	  $(BUILD)/compile_commands.json > $(BUILD)/tidy/compile_commands.json
	run-clang-tidy-16 -p $(BUILD)/tidy -j $(JOBS) -quiet \
	  $(filter %.cpp,$(filter src/% apps/%,$(SOURCES))) > $(BUILD)/tidy/report.txt 2>&1; \
	  status=$$?; grep -E '(error|warning):' $(BUILD)/tidy/report.txt | sort -u; exit $$status

check: format-check tidy

fuzz: deps-build
	CXX=clang++-16 cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DMAILOAUTH_FUZZ=ON -DMAILOAUTH_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@for target in $(FUZZ_BUILD)/tests/fuzz_*; do \
	  name=$${target##*/fuzz_}; mkdir -p $(FUZZ_BUILD)/corpus/$$name; \
	  echo "== fuzzing $$name for $(FUZZ_SECONDS) s =="; \
	  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  $$target -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/$$name- $(FUZZ_BUILD)/corpus/$$name \
	    tests/fuzz/corpus/$$name >$(FUZZ_BUILD)/$$name.log 2>&1; status=$$?; \
	  grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|SUMMARY)' $(FUZZ_BUILD)/$$name.log; \
	  [ $$status -eq 0 ] || { tail -n 40 $(FUZZ_BUILD)/$$name.log; \
	    echo "FAIL: fuzz_$$name found a problem (exit $$status): $(FUZZ_BUILD)/$$name.log"; exit 1; }; \
	done

stack-up: deps
	MAILOAUTH_STACK_DIR=$(CURDIR)/$(BUILD)/stack tests/stack/start

stack-down:
	MAILOAUTH_STACK_DIR=$(CURDIR)/$(BUILD)/stack tests/stack/stop

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)

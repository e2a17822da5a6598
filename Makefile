# The front door. Every target first installs the Debian packages that are
# missing (scripts/install-deps: a no-op when all are there), then configures
# and builds with CMake and Ninja.
#
#   make demo           build and run the main job (examples/demo: coop-demo)
#   make test           build in build/ and run the whole test suite
#   make test-sanitize  the same under ASan+UBSan, in build-asan/
#   make test-crash     the time machine's kill -9 tests with CRASH_ROUNDS (100)
#                       rounds each instead of a few
#   make fuzz           build the libFuzzer targets with clang in build-fuzz/
#                       and run each for FUZZ_SECONDS (default 60)
#   make clean          remove the build directories
#
# Variables: BUILD_TYPE (RelWithDebInfo), ASAN_BUILD_TYPE (Debug), JOBS (2),
# FUZZ_SECONDS (60), CMAKE_ARGS (extra -D options for every configure).

BUILD_TYPE   ?= RelWithDebInfo
# The sanitizer build keeps asserts on and compiles three times faster at -O0.
ASAN_BUILD_TYPE ?= Debug
JOBS         ?= 2
FUZZ_SECONDS ?= 60
CMAKE_ARGS   ?=
# Under CI (CI=true) warnings are errors: the tree must stay clean.
ifneq ($(CI),)
CMAKE_ARGS += -DCOOP_WERROR=ON
endif

BUILD_DIR ?= build
DEMO      ?= $(BUILD_DIR)/examples/demo/coop-demo
ASAN_DIR  ?= build-asan
FUZZ_DIR  ?= build-fuzz

CONFIGURE = cmake -S . -G Ninja $(CMAKE_ARGS)
CTEST     = ctest --output-on-failure -j$(JOBS)

.PHONY: all deps build demo test test-crash test-sanitize fuzz fuzz-build clean

all: build

deps:
	@bash scripts/install-deps

# Configuring an existing build directory again takes a second and picks up
# changed CMAKE_ARGS, so every target does it.
build: deps
	$(CONFIGURE) -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR) -j$(JOBS)

demo: deps
	$(CONFIGURE) -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR) -j$(JOBS) --target coop-demo
	$(DEMO)

test: build
	$(CTEST) --test-dir $(BUILD_DIR)

CRASH_ROUNDS ?= 100
test-crash: build
	COOP_TM_CRASH_ROUNDS=$(CRASH_ROUNDS) $(CTEST) --test-dir $(BUILD_DIR) -R 'tm/crash'

test-sanitize: deps
	$(CONFIGURE) -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=$(ASAN_BUILD_TYPE) -DCOOP_SANITIZE=ON
	cmake --build $(ASAN_DIR) -j$(JOBS)
	UBSAN_OPTIONS=print_stacktrace=1 $(CTEST) --test-dir $(ASAN_DIR)

# Only the library (static, so the fuzzer and the sanitizers see one copy of
# every type) and the fuzz targets, all instrumented for libFuzzer, ASan and
# UBSan.
fuzz-build: deps
	CC=clang CXX=clang++ $(CONFIGURE) -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DCOOP_FUZZ=ON \
	  -DCOOP_BUILD_TESTS=OFF -DCOOP_BUILD_BENCH=OFF -DCOOP_BUILD_EXAMPLES=OFF \
	  -DCOOP_INSTALL=OFF -DBUILD_SHARED_LIBS=OFF
	cmake --build $(FUZZ_DIR) -j$(JOBS)

# Each target starts from its seed corpus (only read) and keeps what it
# finds in $(FUZZ_DIR)/corpus/<name>/; crash inputs go to
# $(FUZZ_DIR)/crashes/. Every target runs even if an earlier one crashed.
fuzz: fuzz-build
	@targets=$$(find $(FUZZ_DIR)/fuzz -maxdepth 1 -type f -name '*_fuzz' | sort); \
	if [ -z "$$targets" ]; then echo "fuzz: no fuzz targets were built" >&2; exit 1; fi; \
	mkdir -p $(FUZZ_DIR)/crashes; failed=""; \
	for t in $$targets; do \
	  name=$$(basename $$t _fuzz); \
	  mkdir -p $(FUZZ_DIR)/corpus/$$name; \
	  seeds=; [ -d tests/fuzz/corpus/$$name ] && seeds=tests/fuzz/corpus/$$name; \
	  echo "== fuzz $$name: $(FUZZ_SECONDS) s"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
	      -artifact_prefix=$(FUZZ_DIR)/crashes/$$name- \
	      $(FUZZ_DIR)/corpus/$$name $$seeds || failed="$$failed $$name"; \
	done; \
	if [ -n "$$failed" ]; then \
	  echo "fuzz: FAILED:$$failed (inputs in $(FUZZ_DIR)/crashes/)" >&2; exit 1; \
	fi; \
	echo "fuzz: all targets ran $(FUZZ_SECONDS) s without a crash"

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR)

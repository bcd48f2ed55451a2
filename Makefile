# ZeroMQ for Swift: the two set-up commands are `make demo` and `make test`.
#
#   make demo    installs libzmq if needed, builds, and runs the classic demos end to end
#   make test    installs libzmq if needed, then runs the test suite (swift test, in three
#                runs: the library's blocking suites, the demos', the async ones)
#   make interop only the interoperability suites, against pyzmq and a C peer built on the
#                system libzmq, installing them if needed; a missing peer fails (not skips)
#   make bench   Swift/C cross pairs, then the Swift-vs-C latency/throughput sweep, then the
#                async sweep (blocking vs async Swift on either executor vs pyzmq asyncio, and async_sockets up to
#                10,000 sockets), whose tables it writes into Benchmarks/RESULTS.md
#                (make bench-quick: the same in under 3 minutes, RESULTS.md left alone)
#   make allocations  heap allocations per message on the hot paths
#   make check-allocations  fails when the Swift layer allocates on a reuse path
#                (thresholds in Benchmarks/Thresholds/allocations.json)
#   make check-performance  fails when Swift/C instructions per message at 64 B (callgrind,
#                inproc_thr and inproc_lat) is above 1.05; installs valgrind if needed
#                (make check-performance-selftest: shows it failing on a slowed Swift build)
#   make soak    10,000,000 messages PUSH→PULL over tcp between two processes (HWM 1,000): each
#                arrives exactly once, in order and intact; prints msg/s and the receiver's RSS
#                at the start, 1 M, 5 M and 10 M, and fails if it grows past its bounds
#                (SOAK_ARGS="--count N --size B" to change the run; see soak --help)
#   make leakcheck  every send and receive path (100,000 messages each: zero copy, multipart,
#                async, poller, monitor, device, errors, the authenticator) under valgrind
#                memcheck: fails on any byte definitely or indirectly lost or any memory error;
#                installs valgrind if needed (about 8 minutes on a 2-core machine)
#   make fuzz    builds the libFuzzer targets in Fuzz/ (monitor-event decoding, the Z85 decoder,
#                the certificate-file parser) and runs each for FUZZ_SECONDS (60) from its
#                seed corpus; fails on a crash or a broken property and prints the crashing
#                input's path
#   make docs    builds the DocC documentation into .build/docs/ZeroMQ.doccarchive with the
#                toolchain's docc; fails on any DocC warning or any public symbol without a doc
#                comment, and lists them (see Scripts/docs.sh)

SWIFT ?= swift
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps test-deps perf-deps build demo test interop bench bench-quick allocations check-allocations \
	check-performance check-performance-selftest soak leakcheck fuzz docs clean

# libzmq's headers and library (Debian/Ubuntu: libzmq3-dev), installed with apt when
# pkg-config can't find them.
deps:
	@if ! pkg-config --exists libzmq 2>/dev/null; then \
		echo "libzmq not found: installing libzmq3-dev with apt"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libzmq3-dev pkg-config; \
	fi

# The interoperability tests talk to two independent peers: pyzmq (with its own bundled
# libzmq) and Tests/Peers/zmqpeer.c, which they compile with cc against the system libzmq.
# This installs what is missing (python3 and pip with apt; pyzmq with pip --user, then with
# --break-system-packages where pip refuses under PEP 668, then apt's python3-zmq; gcc).
# Without a peer the tests that need it are skipped, and say so; with ZEROMQ_REQUIRE_PEERS=1
# (CI, make interop) a peer that can't be installed fails this target instead.
test-deps: deps
	@apt_install() { \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq "$$@" >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq >/dev/null 2>&1 && \
		  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq "$$@" >/dev/null 2>&1; }; }; \
	if ! python3 -c 'import zmq' 2>/dev/null; then \
		echo "installing pyzmq for the interoperability tests"; \
		command -v python3 >/dev/null || apt_install python3 python3-pip || true; \
		python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip || true; \
		python3 -m pip install -q --user pyzmq 2>/dev/null || \
		python3 -m pip install -q --user --break-system-packages pyzmq 2>/dev/null || \
		apt_install python3-zmq || true; \
	fi; \
	if ! command -v cc >/dev/null; then \
		echo "installing a C compiler for the interoperability tests' C peer"; \
		apt_install gcc libc6-dev || true; \
	fi; \
	missing=""; \
	python3 -c 'import zmq' 2>/dev/null || missing="pyzmq"; \
	command -v cc >/dev/null || missing="$${missing:+$$missing and }a C compiler (cc)"; \
	if [ -n "$$missing" ]; then \
		if [ "$${ZEROMQ_REQUIRE_PEERS:-}" = 1 ]; then \
			echo "test-deps: could not install $$missing, which ZEROMQ_REQUIRE_PEERS=1 requires for the interoperability tests" >&2; \
			exit 1; \
		fi; \
		echo "test-deps: $$missing unavailable: the interoperability tests that need it will be skipped"; \
	fi

# Only the interoperability suites (the library's against pyzmq and the C peer, and the demos'
# mixed with peers of other languages), with every peer required: a missing one fails. Two
# runs, for the reason `test` gives: the library's suites block, the demos' wait.
LIBRARY_INTEROP_SUITES = ZeroMQTests\.Interop|AuthenticatorInteropTests|CertificateInteropTests
DEMO_INTEROP_SUITES = DemoInterop|GuideInteropTests|Zmqcat

interop: export ZEROMQ_REQUIRE_PEERS = 1
interop: test-deps
	$(SWIFT) test --skip '\.Async' --filter '$(LIBRARY_INTEROP_SUITES)'
	$(SWIFT) test --skip-build --skip '\.Async' --filter '$(DEMO_INTEROP_SUITES)'

# valgrind (callgrind) for the instruction counts, installed with apt when missing.
perf-deps: deps
	@if ! command -v valgrind >/dev/null; then \
		echo "valgrind not found: installing it with apt"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq valgrind; \
	fi

build: deps
	$(SWIFT) build

demo: build
	bash Examples/run-demos.sh "$$($(SWIFT) build --show-bin-path)"

# Three runs, because the blocking tests hold threads of Swift's cooperative pool (two, on a
# 2-core machine) for seconds at a time, and a test that waits asynchronously beside them
# would measure that starvation instead of what it tests:
# - the library's blocking suites;
# - the demo and zmqcat suites, which start processes and wait for them asynchronously, with
#   peers that have timeouts of their own (in one run with the blocking suites, both pool
#   threads were held for 40 s and pyzmq peers gave up waiting: seen in CI);
# - the async suites (named Async…).
test: test-deps
	$(SWIFT) test --filter ZeroMQTests --skip '\.Async'
	$(SWIFT) test --skip-build --filter ExamplesTests --skip '\.Async'
	$(SWIFT) test --skip-build --filter '\.Async'

bench: test-deps
	bash Benchmarks/cross-pairs.sh
	bash Benchmarks/sweep.sh --reps 5 --no-build
	bash Benchmarks/async-sweep.sh --no-build --results Benchmarks/RESULTS.md

bench-quick: test-deps
	bash Benchmarks/cross-pairs.sh
	bash Benchmarks/sweep.sh --quick --no-build
	bash Benchmarks/async-sweep.sh --quick --no-build

allocations: deps
	$(SWIFT) build -c release --package-path Benchmarks --product allocations
	Benchmarks/.build/release/allocations

check-allocations: deps
	SWIFT=$(SWIFT) bash Benchmarks/check-allocations.sh

# The README's "Swift/C instructions per message" promise, guarded: 64 B over inproc, where
# the Swift layer's share of the work is largest.
PERF_CHECK = --tools "inproc_thr inproc_lat" --sizes 64 --check 1.05

check-performance: perf-deps
	SWIFT=$(SWIFT) bash Benchmarks/instructions.sh $(PERF_CHECK)

# Shows that check-performance can fail: a Swift build with about 150 instructions of extra
# work per message in each loop of the perf tools (-DPERF_SLOWDOWN) must fail it.
check-performance-selftest: perf-deps
	$(SWIFT) build -c release --package-path Benchmarks --scratch-path Benchmarks/.build-slowed \
		-Xswiftc -DPERF_SLOWDOWN
	@out=$$(SWIFT=$(SWIFT) bash Benchmarks/instructions.sh $(PERF_CHECK) \
		--swift-bin Benchmarks/.build-slowed/release 2>&1); status=$$?; printf '%s\n' "$$out"; \
	if [ $$status -eq 1 ] && printf '%s\n' "$$out" | grep -q '^FAIL inproc_thr ' && \
		printf '%s\n' "$$out" | grep -q '^FAIL inproc_lat '; then \
		echo "check-performance-selftest: the check fails on a deliberately slower Swift build, as it should"; \
	else \
		echo "check-performance-selftest: the check did not fail on both tools of a deliberately slower Swift build" >&2; \
		exit 1; \
	fi

# Checks first that injected faults (a lost, duplicated, reordered or corrupted message, a
# leak per message) make it fail, then runs it.
SOAK_ARGS ?=
soak: deps
	SWIFT=$(SWIFT) bash Benchmarks/soak.sh $(SOAK_ARGS)

# Checks first that an injected leak and an injected invalid read make it fail.
# LEAKCHECK_ARGS="--count N --only PATH,…" to change the run; see leakcheck --help.
LEAKCHECK_ARGS ?=
leakcheck: perf-deps
	SWIFT=$(SWIFT) bash Benchmarks/leakcheck.sh $(LEAKCHECK_ARGS)

# Each target is built with swiftc -sanitize=fuzzer,address from the library's sources; see
# Fuzz/fuzz.sh.
FUZZ_SECONDS ?= 60
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash Fuzz/fuzz.sh

# The ZeroMQ target alone, with its symbol graph, in a scratch folder of its own (.build/docs),
# then `docc convert` and the doc-comment check.
docs: deps
	SWIFT=$(SWIFT) bash Scripts/docs.sh

clean:
	rm -rf .build Benchmarks/.build Benchmarks/.build-slowed Benchmarks/c/bin Fuzz/.build

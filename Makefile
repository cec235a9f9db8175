# Interlock: `make demo` and `make test` do all setup on a fresh Debian machine.
SWIFT ?= swift
DEBUG_BIN := .build/debug/interlock
RELEASE_BIN := .build/release/interlock

.PHONY: deps build release demo test test-unit test-integration test-adversarial fuzz bench clean

# System libraries (libseccomp, libcap) and the test runner, installed only if missing.
deps:
	@bash scripts/install-deps.sh

build: deps
	$(SWIFT) build

# The shipped binary: static Swift stdlib, so start-up does not pay for loading it.
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

demo: release
	@bash scripts/demo.sh $(RELEASE_BIN)

test: build
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	INTERLOCK_BIN=$(abspath $(DEBUG_BIN)) python3 -m pytest -q Tests/integration

test-integration: build
	INTERLOCK_BIN=$(abspath $(DEBUG_BIN)) python3 -m pytest -q Tests/integration

# The adversarial suite (Tests/Adversarial): escapes tried from inside, faults injected into the
# supervisor, leak counts over 1,000 sequential and 50 concurrent runs; as root, then again as an
# unprivileged user it creates (without the 1,000-run case); then every fuzzer for FUZZ_SECONDS.
FUZZ_SECONDS ?= 30
# CI passes ADVERSARIAL_ARGS='-m "not slow"' (the 1,000-run case) to stay well under 45 minutes.
ADVERSARIAL_ARGS ?=
test-adversarial: build
	INTERLOCK_BIN=$(abspath $(DEBUG_BIN)) python3 -m pytest -q Tests/Adversarial $(ADVERSARIAL_ARGS)
	@if [ "$$(id -u)" = 0 ]; then bash Tests/Adversarial/run-unprivileged.sh $(abspath $(DEBUG_BIN)) -m "not slow"; \
	 else echo "test-adversarial: not root, the unprivileged pass is the one above"; fi
	$(MAKE) fuzz

# libFuzzer targets (Fuzz/README.md), each for FUZZ_SECONDS from the committed seeds.
fuzz:
	bash Fuzz/run.sh $(FUZZ_SECONDS)

# Interlock next to bare execution, unshare and bubblewrap, in one run; writes bench/results.md.
bench: release
	@bash scripts/bench.sh $(abspath $(RELEASE_BIN))

clean:
	rm -rf .build .build-fuzz

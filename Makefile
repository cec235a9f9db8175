# Interlock: `make demo` and `make test` do all setup on a fresh Debian machine.
SWIFT ?= swift
DEBUG_BIN := .build/debug/interlock
RELEASE_BIN := .build/release/interlock

.PHONY: deps build release demo test test-unit test-integration bench clean

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

# Interlock next to bare execution, unshare and bubblewrap, in one run; writes bench/results.md.
bench: release
	@bash scripts/bench.sh $(abspath $(RELEASE_BIN))

clean:
	rm -rf .build

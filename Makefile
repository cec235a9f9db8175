# Interlock: `make demo` and `make test` do all setup on a fresh Debian machine.
SWIFT ?= swift
DEBUG_BIN := .build/debug/interlock
RELEASE_BIN := .build/release/interlock

# The commit `interlock --version` prints (Package.swift reads it): HEAD, with -dirty for a changed
# tree; empty outside a git checkout (a tarball), where the version prints alone.
ifndef INTERLOCK_COMMIT
INTERLOCK_COMMIT := $(shell c=$$(git rev-parse --short=7 HEAD 2>/dev/null) && { git diff --quiet HEAD 2>/dev/null || c=$$c-dirty; echo $$c; })
endif
export INTERLOCK_COMMIT

.PHONY: deps build release demo test test-unit test-integration test-adversarial fuzz bench clean \
        install uninstall deb deb-check

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

# --- Installing (docs/install.md) ---------------------------------------------------------------
# `make install` copies the release binaries (BUILD=debug: the debug ones, for tests) and exactly
# INSTALL_FILES under $(DESTDIR)$(PREFIX); `make uninstall` removes exactly those.
PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= release
VERSION := $(shell sed -n 's/.*static let current = "\(.*\)"/\1/p' Sources/InterlockProfile/InterlockVersion.swift)
STAGE := .build/install-files
ROOT = $(DESTDIR)$(PREFIX)
INSTALL_FILES = bin/interlock bin/interlock-mcp bin/interlock-shell \
	share/man/man1/interlock.1.gz share/man/man1/interlock-shell.1.gz share/man/man1/interlock-mcp.1.gz \
	share/bash-completion/completions/interlock \
	share/zsh/site-functions/_interlock \
	share/fish/vendor_completions.d/interlock.fish \
	share/doc/interlock/README.md share/doc/interlock/CHANGELOG.md

# It builds nothing, so `make release && sudo make install` leaves .build to its owner. The
# completions and the manual come from the built binary's own command definitions.
install:
	@test -x .build/$(BUILD)/interlock -a -x .build/$(BUILD)/interlock-mcp || { echo "no .build/$(BUILD) binaries: run make $(if $(filter debug,$(BUILD)),build,release)"; exit 1; }
	rm -rf $(STAGE) && mkdir -p $(STAGE)
	# bash-completion sources the file, so the generator's #! line is dropped.
	.build/$(BUILD)/interlock --generate-completion-script bash | sed '1{/^#!/d}' > $(STAGE)/interlock.bash
	.build/$(BUILD)/interlock --generate-completion-script zsh > $(STAGE)/_interlock
	.build/$(BUILD)/interlock --generate-completion-script fish > $(STAGE)/interlock.fish
	python3 scripts/manpage.py .build/$(BUILD)/interlock $(VERSION) | gzip -9n > $(STAGE)/interlock.1.gz
	install -Dm755 .build/$(BUILD)/interlock $(ROOT)/bin/interlock
	install -Dm755 .build/$(BUILD)/interlock-mcp $(ROOT)/bin/interlock-mcp
	ln -sf interlock $(ROOT)/bin/interlock-shell
	install -Dm644 $(STAGE)/interlock.1.gz $(ROOT)/share/man/man1/interlock.1.gz
	ln -sf interlock.1.gz $(ROOT)/share/man/man1/interlock-shell.1.gz
	ln -sf interlock.1.gz $(ROOT)/share/man/man1/interlock-mcp.1.gz
	install -Dm644 $(STAGE)/interlock.bash $(ROOT)/share/bash-completion/completions/interlock
	install -Dm644 $(STAGE)/_interlock $(ROOT)/share/zsh/site-functions/_interlock
	install -Dm644 $(STAGE)/interlock.fish $(ROOT)/share/fish/vendor_completions.d/interlock.fish
	install -Dm644 README.md $(ROOT)/share/doc/interlock/README.md
	install -Dm644 CHANGELOG.md $(ROOT)/share/doc/interlock/CHANGELOG.md
	@echo "installed interlock $(VERSION) under $(ROOT) (no AppArmor profile: the repository has none)"

uninstall:
	rm -f $(addprefix $(ROOT)/,$(INSTALL_FILES))
	-rmdir $(ROOT)/share/doc/interlock 2>/dev/null

# --- Debian package ------------------------------------------------------------------------------
# interlock_VERSION_amd64.deb from a staged `make install PREFIX=/usr` (scripts/deb.sh); deb-check
# installs it into a Debian root file system without Swift and runs it there (scripts/deb-smoke.sh).
DEB := interlock_$(VERSION)_amd64.deb
deb: release
	bash scripts/deb.sh $(VERSION) $(DEB)

deb-check: deb
	bash scripts/deb-smoke.sh $(abspath $(DEB))

# Easel: set-up, build, run and test on a fresh Debian/Ubuntu machine (as root or with sudo).
#
#   make run     install what is missing, build the UI, launch the desktop app
#   make test    everything CI runs: lint, Rust tests, UI unit tests, browser tests, real-window E2E
#   make help    all targets

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

# Build output lives outside the clone, so a fresh clone reuses a warm cache.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/easel/target
# Playwright drives Debian's Chromium; it must never download a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export CHROMIUM_PATH ?= /usr/bin/chromium
CARGO_HOME ?= $(HOME)/.cargo
export PATH := $(CARGO_HOME)/bin:$(PATH)

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

APT_PACKAGES := libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev librsvg2-dev \
	libxdo-dev libayatana-appindicator3-dev xvfb xauth webkit2gtk-driver gnome-keyring dbus \
	dbus-x11 libdbus-1-dev chromium file curl xdotool python3-gi gir1.2-gtk-3.0 \
	cmake nasm

# The desktop binary embeds ui/dist (custom protocol) instead of pointing at a dev server.
APP_FEATURES := --features tauri/custom-protocol
# Private D-Bus session + unlocked throwaway keyring (+ virtual X server with --display).
WITH_SESSION := scripts/with-session.sh

UI_STAMP := ui/node_modules/.easel-npm-ci
UI_DIST := ui/dist/index.html
UI_SOURCES := $(shell find ui/src ui/public -type f 2>/dev/null) ui/index.html ui/package.json \
	ui/vite.config.ts ui/svelte.config.js ui/tsconfig.json

.PHONY: help setup setup-apt setup-rust setup-ui setup-tauri-driver ui run dev demo bundle test lint \
	test-rust test-ui test-browser test-e2e app bench bench-app fmt icons clean-artifacts

help:
	@echo "make run            set up, build the UI and launch the Easel desktop app"
	@echo "make dev            the app against the Vite dev server (hot reload)"
	@echo "make demo           the app with a local fake-openai as its \"demo provider\" (no key needed)"
	@echo "make bundle         a .deb of the app (release build) under \$$CARGO_TARGET_DIR/release/bundle/deb"
	@echo "make test           everything: lint, test-rust, test-ui, test-browser, test-e2e"
	@echo "make lint           cargo fmt --check + clippy -D warnings (UI type check runs in 'make ui')"
	@echo "make test-rust      cargo test --workspace (in a private D-Bus session with a keyring)"
	@echo "make test-ui        UI unit tests (Vitest)"
	@echo "make test-browser   the built UI in headless Chromium with mocked IPC (Playwright)"
	@echo "make test-e2e       the real app in a virtual X display via tauri-driver"
	@echo "make bench          cargo bench -p easel"
	@echo "make bench-app      the desktop app's first paint, 100k gallery and .deb size (release build)"
	@echo "make setup          install what is missing (apt packages, rustfmt/clippy, npm ci, tauri-driver)"
	@echo "make fmt            cargo fmt --all"
	@echo "make icons          re-render icons/*.png from ui/public/easel.svg"
	@echo "make clean-artifacts  remove test-artifacts/"

# ---------------------------------------------------------------------------------- set-up

setup: setup-apt setup-rust setup-ui setup-tauri-driver

setup-apt:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

setup-rust: setup-apt
	@command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust with rustup first" >&2; exit 1; }
	@if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then \
	  rustup component add rustfmt clippy; \
	fi

setup-ui: $(UI_STAMP)

$(UI_STAMP): ui/package-lock.json ui/package.json
	@command -v npm >/dev/null || { echo "setup: Node.js >= 20.19 with npm is required" >&2; exit 1; }
	cd ui && npm ci --no-audit --no-fund
	@touch $@

setup-tauri-driver:
	@command -v tauri-driver >/dev/null || env -u CARGO_TARGET_DIR cargo install tauri-driver --locked

# ---------------------------------------------------------------------------------- build

# Built only when a UI source changed: a rebuild rewrites ui/dist, which the Tauri crate embeds,
# so an unneeded one would recompile the desktop crate too.
ui: $(UI_DIST)

$(UI_DIST): $(UI_STAMP) $(UI_SOURCES)
	cd ui && npm run build

app: setup-rust $(UI_DIST)
	cargo build -p easel-studio $(APP_FEATURES)

run: setup $(UI_DIST)
	cargo run -p easel-studio $(APP_FEATURES)

# The app with fake-openai as its provider, on a demo library (scripts/demo.sh).
demo: setup $(UI_DIST)
	scripts/demo.sh

# A .deb (release build, UI embedded, icons from tauri.conf.json) with the Tauri CLI from npm.
bundle: setup
	ui/node_modules/.bin/tauri build --bundles deb
	@ls -l "$(CARGO_TARGET_DIR)"/release/bundle/deb/*.deb

# Without the custom-protocol feature the app loads devUrl (tauri.conf.json): the Vite server.
dev: setup
	ui/node_modules/.bin/vite ui & vite_pid=$$!; \
	trap 'kill $$vite_pid 2>/dev/null || true' EXIT; \
	until curl -sf -o /dev/null http://127.0.0.1:5173/; do \
	  kill -0 $$vite_pid 2>/dev/null || exit 1; sleep 0.2; \
	done; \
	cargo run -p easel-studio

# ---------------------------------------------------------------------------------- tests

test: setup ui lint test-rust test-ui test-browser test-e2e
	@echo "make test: all suites passed"

lint: setup-rust $(UI_DIST)
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets $(APP_FEATURES) -- -D warnings

test-rust: setup-apt setup-rust $(UI_DIST)
	$(WITH_SESSION) cargo test --workspace $(APP_FEATURES)

test-ui: setup-ui
	cd ui && npm test

test-browser: setup-apt $(UI_DIST)
	cd ui && npm run test:browser

# scripts/build-app.sh builds the app (UI embedded) sharing `cargo test`'s artifacts, and prints its path.
test-e2e: setup-apt setup-rust setup-tauri-driver $(UI_DIST)
	app="$$(scripts/build-app.sh)"; \
	echo "test-e2e: $$app"; \
	EASEL_APP="$$app" $(WITH_SESSION) --display node --test --test-concurrency=1 tests/e2e/*.test.mjs

bench: setup-rust
	cargo bench -p easel

# The desktop app's figures (BENCHMARKS.md "Desktop app"): the release binary and .deb from `make bundle`,
# in a real window under Xvfb; the debug `easel` and `fake-openai` (scripts/build-app.sh) make its libraries.
bench-app: bundle setup-tauri-driver
	scripts/build-app.sh >/dev/null
	$(WITH_SESSION) --display node tests/e2e/bench-app.mjs

fmt:
	cargo fmt --all

# Re-renders icons/*.png from ui/public/easel.svg (commit the result).
icons: setup-ui setup-apt
	node scripts/render-icons.mjs

clean-artifacts:
	rm -rf test-artifacts

# KeyClave: the two commands that matter are `make run` and `make test`.
# Both install what they need on a fresh Debian/Ubuntu machine.

CARGO ?= cargo
ARGS ?= --help
TARGET_DIR := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
APP := $(TARGET_DIR)/debug/keyclave-desktop
CLI := $(TARGET_DIR)/debug/keyclave
XVFB := xvfb-run -a --server-args="-screen 0 1280x900x24"

.PHONY: run test setup setup-desktop ui-deps ui desktop cli lint test-rust test-ui e2e bindings bench bench-refresh bench-discovery bench-automation bench-scan bench-keepassxc bench-desktop bench-agent bench-idle perf bundle fmt crash

setup:
	@bash scripts/setup.sh

setup-desktop:
	@bash scripts/setup-desktop.sh

## Run the desktop app (builds the UI and the app first).
run: setup-desktop desktop
	$(APP)

## Run the CLI: make cli ARGS="secret list".
cli: setup
	$(CARGO) run --quiet -p keyclave-cli -- $(ARGS)

## Every test: formatting, lints, core, CLI, desktop, UI unit tests, end-to-end.
test: setup-desktop lint test-rust test-ui e2e

ui-deps:
	@cd ui && { [ -d node_modules ] && [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }

ui: ui-deps
	cd ui && npm run build

desktop: ui
	$(CARGO) build --locked -p keyclave-desktop -p keyclave-cli

lint: ui
	python3 scripts/check-structure.py
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test-rust: ui
	$(CARGO) test --workspace --locked

test-ui: ui-deps
	cd ui && npm run check && npm test

## End-to-end tests in the real app window (Xvfb + tauri-driver + WebKitWebDriver).
e2e: desktop
	cd ui && KEYCLAVE_APP=$(APP) KEYCLAVE_CLI=$(CLI) dbus-run-session -- $(XVFB) npm run e2e

## Regenerate ui/src/lib/bindings.ts from the Tauri commands.
bindings:
	KEYCLAVE_WRITE_BINDINGS=1 $(CARGO) test -p keyclave-desktop --test it bindings

## Criterion benchmarks (core/benches); figures in target/criterion.
bench: setup
	$(CARGO) bench -p keyclave-core --bench vault --bench dotenv --bench import

## Dashboard refresh: 200 keys across 10 fake providers at 100 ms each,
## then memory over 100 refresh cycles.
bench-refresh: setup
	$(CARGO) bench -p keyclave-core --bench refresh

## Discovery: classify and dedup 10,000 entries; a run over 30 providers
## whose fake sources answer in 100 ms.
bench-discovery: setup
	$(CARGO) bench -p keyclave-core --bench discovery

## Automation: sandbox start to the first protocol line; 10,000 log lines.
bench-automation: setup
	$(CARGO) bench -p keyclave-core --bench automation

## Project scan vs ripgrep over a generated 20,000-file Markdown tree.
bench-scan: setup
	bash scripts/bench-scan.sh

## Per-command cost against keepassxc-cli with the same KDF parameters.
## `secret list` with and without the unlock agent (median of 10).
bench-agent: setup
	bash scripts/bench-agent.sh

bench-keepassxc: setup
	bash scripts/bench-keepassxc.sh

## The kill -9 fault harness in its long mode: 500 kills per operation
## (`make test` runs 25). KEYCLAVE_CRASH_SEED=N replays a run.
crash: setup
	KEYCLAVE_CRASH_KILLS=$${KEYCLAVE_CRASH_KILLS:-500} $(CARGO) test -p keyclave-cli --test it --locked crash:: -- --test-threads=1 --nocapture

## KeyClave's window against KeePassXC's (1,000 entries, same KDF): memory
## of every process, launch -> first paint, idle CPU, and the ratios.
bench-desktop:
	bash scripts/bench-desktop.sh

## Desktop figures: launch, unlock→list with 1,000 secrets, idle memory.
perf: setup-desktop desktop
	cd ui && KEYCLAVE_APP=$(APP) KEYCLAVE_CLI=$(CLI) dbus-run-session -- $(XVFB) node e2e/perf.mjs

## Desktop idle CPU over 60 s, unlocked, with the dashboard scheduler on
## (release build; default refresh interval and a 60 s one).
bench-idle: setup-desktop ui
	$(CARGO) build --release --locked -p keyclave-desktop -p keyclave-cli
	cd ui && KEYCLAVE_APP=$(TARGET_DIR)/release/keyclave-desktop KEYCLAVE_CLI=$(TARGET_DIR)/release/keyclave dbus-run-session -- $(XVFB) node e2e/idle.mjs

## Release .deb under $(TARGET_DIR)/release/bundle/deb, with the CLI and its
## manual pages beside the app. (AppImage is left out:
## its linuxdeploy tools are downloaded from GitHub, which CI cannot reach.)
bundle: setup-desktop ui
	$(CARGO) build --release --locked -p keyclave-cli
	rm -rf build/deb && mkdir -p build/deb/man1
	$(TARGET_DIR)/release/keyclave man-pages --out build/deb/man1
	gzip -9n build/deb/man1/*.1
	install -m 0755 $(TARGET_DIR)/release/keyclave build/deb/keyclave
	ui/node_modules/.bin/tauri build --bundles deb

fmt:
	$(CARGO) fmt --all

# KeyClave: the two commands that matter are `make run` and `make test`.
# Both install what they need on a fresh Debian/Ubuntu machine.

CARGO ?= cargo
ARGS ?= --help

.PHONY: run test setup build lint bench fmt

setup:
	@bash scripts/setup.sh

## Run KeyClave (the CLI; pass arguments with ARGS="secret list").
run: setup
	$(CARGO) run --quiet -p keyclave-cli -- $(ARGS)

## Every test: formatting, lints, core, CLI.
test: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) test --workspace --locked

build: setup
	$(CARGO) build --workspace --release --locked

## Criterion benchmarks (core/benches); figures in target/criterion.
bench: setup
	$(CARGO) bench -p keyclave-core --bench vault

fmt:
	$(CARGO) fmt --all

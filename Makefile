# notify-reporting. Cargo's usual target/ unless CARGO_TARGET_DIR says otherwise (CI keeps one
# build outside its fresh clones: the bundled DuckDB takes ~20 minutes to compile on 2 cores).
#
# Every cargo command here selects the same packages (--workspace --all-targets). Cargo resolves
# features per selection, and a different selection can give DuckDB's build script other
# host-dependency features, which recompiles all of DuckDB's C++ (20+ minutes).
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BIN := $(TARGET_DIR)/debug/notify-reporting
HOME_DIR ?= .local
SELECTION := --workspace --all-targets
AS_OF ?=
AS_OF_FLAG := $(if $(AS_OF),--as-of $(AS_OF),)

.PHONY: run build test proptest-long lint fmt clippy asl clean-local

## make run: build, generate a small synthetic sample, create the tables, run ingestion, then both reports.
run: build
	$(BIN) --home $(HOME_DIR) generate --days 14 --items-per-day 400 --clients 4 --seed 1
	$(BIN) --home $(HOME_DIR) run setup
	$(BIN) --home $(HOME_DIR) run ingestion $(AS_OF_FLAG)
	$(BIN) --home $(HOME_DIR) run completed-comms-report
	$(BIN) --home $(HOME_DIR) run completed-batch-report

build:
	@command -v $(CARGO) >/dev/null || { echo "cargo is required: https://rustup.rs"; exit 1; }
	$(CARGO) build $(SELECTION)

## make test: every test of the workspace (unit, DuckDB integration, state machines).
## make test ARGS=prelude runs only tests whose names contain "prelude", with the same selection.
ARGS ?=
test:
	$(CARGO) test $(SELECTION) -- $(ARGS)

## make proptest-long: the ingestion contract's properties on 10,000 generated histories each
## (every ingestion query, every property). PROPTEST_CASES and PROPTEST_SEED override.
PROPTEST_CASES ?= 10000
PROPTEST_SEED ?= 1
proptest-long:
	NOTIFY_PROPERTY_CASES=$(PROPTEST_CASES) NOTIFY_PROPERTY_SEED=$(PROPTEST_SEED) NOTIFY_PROPERTY_BATCH=250 \
	  $(CARGO) test $(SELECTION) -- prop_ --nocapture

## make lint: formatting, clippy (warnings as errors) and the ASL files against the Step Functions rules.
lint: fmt clippy asl
fmt:
	$(CARGO) fmt --all -- --check
clippy:
	$(CARGO) clippy $(SELECTION) -- -D warnings

# asl-validator (npm) checks what the local runner cannot know about AWS, e.g. state names unique
# across Map processors. Installed once next to the build.
ASL_VALIDATOR := $(TARGET_DIR)/tools/asl-validator/node_modules/.bin/asl-validator
asl: $(ASL_VALIDATOR)
	@for f in statemachines/*.asl.json; do $(ASL_VALIDATOR) --json-path $$f || exit 1; done
$(ASL_VALIDATOR):
	@command -v npm >/dev/null || { echo "npm is required for the ASL check (Debian: apt-get install nodejs npm)"; exit 1; }
	npm install --silent --no-audit --no-fund --prefix $(TARGET_DIR)/tools/asl-validator asl-validator@4.0.0

clean-local:
	rm -rf $(HOME_DIR)

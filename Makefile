# The two set-up commands of the README: `make run` (a research run on the embedded models,
# offline) and `make test` (lint, type-check, tests). Both create the venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DIRECTION ?= small-scale training dynamics of neural networks
ARGS ?=
PYTEST_ARGS ?=

.PHONY: install run test lint bench clean-venv sandbox-ready index-ready tex-ready

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: that exact version is a CPU wheel; anything else pulls GBs of CUDA.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The sandbox (bubblewrap + a Debian rootfs with numpy/torch, built locally, cached) and the default
# literature index (the shared 18k abstracts, embedded once) are prepared on first use.
sandbox-ready: $(STAMP)
	@command -v bwrap >/dev/null && command -v debootstrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap debootstrap; \
	  else echo "install bubblewrap and debootstrap (sudo apt-get install bubblewrap debootstrap), or start docker"; exit 1; fi; }
	$(BIN)/proctor sandbox build-image --rootfs-only

# The default corpus from retrieval.default_corpus, ../shared or an earlier download (`proctor corpus
# build-default --download` fetches it from its public source); without it the run goes on and the novelty
# check records a skip.
index-ready: $(STAMP)
	@$(BIN)/proctor corpus build-default || echo "(going on without the default corpus: the novelty check will record a skip)"

# pdflatex for the paper's PDF (Markdown and HTML are written without it); skipped if it cannot install.
tex-ready:
	@command -v pdflatex >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends texlive-latex-base \
	  texlive-latex-recommended >/dev/null || echo "no pdflatex: papers are written as Markdown and HTML only"; }

run: sandbox-ready index-ready tex-ready
	$(BIN)/proctor run "$(DIRECTION)" $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check proctor tests bench
	$(BIN)/mypy proctor
	$(BIN)/lint-imports  # the import contracts in pyproject.toml

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)

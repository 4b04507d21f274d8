# The two set-up commands of the README: `make run` (a research run on the embedded models,
# offline) and `make test` (lint, type-check, tests). Both create the venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DIRECTION ?= small-scale training dynamics of neural networks
ARGS ?=
SETUP_ARGS ?=
PYTEST_ARGS ?=

.PHONY: install run test lint bench clean-venv sandbox-deps sandbox-ready index-ready tex-ready semgrep model

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# torch first, pinned: that exact version is a CPU wheel; anything else pulls GBs of CUDA.
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The `semgrep` monitor's own environment: semgrep pins click, jsonschema, protobuf and OpenTelemetry
# below what fastapi and chromadb need, so it lives in a separate venv and Proctor calls it as a
# subprocess (offline: --metrics=off and the rules shipped in proctor/control/monitors/data/semgrep).
# Not part of `install`; .ci/run makes it so the real rules are tested.
SEMGREP_VERSION ?= 1.187.0
SEMGREP_VENV ?= .venv-semgrep
SEMGREP_STAMP := $(SEMGREP_VENV)/.installed-$(SEMGREP_VERSION)

$(SEMGREP_STAMP):
	$(PYTHON) -m venv $(SEMGREP_VENV)
	$(SEMGREP_VENV)/bin/pip install -q --upgrade pip
	$(SEMGREP_VENV)/bin/pip install -q semgrep==$(SEMGREP_VERSION)
	$(SEMGREP_VENV)/bin/semgrep --version --disable-version-check
	touch $(SEMGREP_STAMP)

semgrep: $(SEMGREP_STAMP)

# What the sandbox needs from Debian (bubblewrap, debootstrap), installed once when root.
sandbox-deps: $(STAMP)
	@command -v bwrap >/dev/null && command -v debootstrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap debootstrap; \
	  else echo "install bubblewrap and debootstrap (sudo apt-get install bubblewrap debootstrap), or start docker"; exit 1; fi; }

# `proctor setup` prepares, concurrently and cached, each step's progress shown: the sandbox rootfs
# (Debian + numpy/torch, built locally: disk and network), then on the CPU the embedded model's
# conversion and the default literature index (the 18k abstracts from retrieval.default_corpus,
# ../shared or an earlier download; without the corpus the run goes on and its novelty check records a skip).
sandbox-ready: sandbox-deps
	$(BIN)/proctor setup --skip model --skip index

index-ready: $(STAMP)
	$(BIN)/proctor setup --skip sandbox --skip model

# pdflatex for the paper's PDF (Markdown and HTML are written without it); skipped if it cannot install.
tex-ready:
	@command -v pdflatex >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends texlive-latex-base \
	  texlive-latex-recommended >/dev/null || echo "no pdflatex: papers are written as Markdown and HTML only"; }

# pdflatex installs in the background while `proctor setup` runs; the run starts when both are done.
run: sandbox-deps
	@$(MAKE) -s tex-ready > $(VENV)/tex-ready.log 2>&1 & tex=$$!; \
	$(BIN)/proctor setup $(SETUP_ARGS); rc=$$?; wait $$tex; cat $(VENV)/tex-ready.log; \
	[ $$rc = 0 ] && $(BIN)/proctor run "$(DIRECTION)" $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check proctor tests bench
	$(BIN)/mypy proctor
	$(BIN)/lint-imports  # the import contracts in pyproject.toml

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)

# Retrain the shipped learned monitor on the data it was trained on: the packaged corpus, the real Helm/CDK
# commits and the held-out sets in shared/ (other projects' code, kept out of the package), and the hand-off
# messages built from the shared paper texts (SHARED_DATA, default ../shared/data). `infra` and the sets
# not named in MODEL_SETS stay held out. bench/heldout_loso.py measures each set against a model without it.
SHARED_DATA ?= ../shared/data
MODEL_SETS ?= unseen transfer final last fifth sixth seventh eighth ninth
model: $(STAMP)
	$(BIN)/proctor control train --out proctor/control/monitors/data/learned.json \
	  --data shared/corpus/commits.jsonl --handoffs-from $(SHARED_DATA) \
	  $(foreach s,$(MODEL_SETS),--data shared/heldout/$(s))

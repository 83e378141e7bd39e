# Quick start (see README):
#   make lab        set everything up and open the course in JupyterLab on notebook 0
#   make test       set everything up and run the whole test suite (what CI runs)
#   make test-fast  for contributors: the unit and parity tests only (no notebooks, no browser)
#
# Everything lives in .venv; Python 3.11 and pip are all that is needed. PIP_OPTIONS goes to every
# pip install: on Linux, PIP_OPTIONS="--extra-index-url https://download.pytorch.org/whl/cpu" gets
# torch's small CPU build instead of the CUDA one (see requirements.txt).

PYTHON ?= python3
PIP_OPTIONS ?=
VENV   := .venv
BIN    := $(VENV)/bin
FIRST_NOTEBOOK := notebooks/00_start_here.ipynb

.PHONY: lab test test-fast install install-dev browser notebooks flashcards checkpoints checkpoint benchmark claims comparisons paraphrase-limit clean-venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip

# Stamps re-run pip only when the requirement files change.
$(VENV)/.learner-stamp: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_OPTIONS) -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $@

$(VENV)/.dev-stamp: requirements.txt requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_OPTIONS) -r requirements-dev.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(VENV)/.learner-stamp $@

install: $(VENV)/.learner-stamp

install-dev: $(VENV)/.dev-stamp

# On 127.0.0.1 only; as root (containers) with --allow-root. See scripts/lab.sh.
lab: install
	@JUPYTER=$(BIN)/jupyter sh scripts/lab.sh $(FIRST_NOTEBOOK)

# The browser tests need Chromium or Chrome (tests/browser.py finds it; CHROME_PATH names one). This
# installs Debian's chromium where none is found and it can (apt-get as root or with sudo); it never
# stops the suite: without a browser the browser tests are skipped, saying so (under CI=true they fail).
browser:
	@sh scripts/ensure-chromium.sh

# Everything: unit, parity, browser and notebook tests (nbval), as pyproject.toml configures pytest.
test: install-dev browser
	$(BIN)/python -m pytest

# For contributors: the unit and parity tests without the notebooks (nbval) and the browser, and
# without the few tests marked slow. About 2 minutes on 2 cores; make test before a merge.
test-fast: install-dev
	$(BIN)/python -m pytest tests -p no:nbval -o addopts="-ra --import-mode=importlib" -m "not browser and not slow"

# Rebuild every notebook from notebooks/src and store the outputs of a fresh run (and timings.md).
notebooks: install-dev
	$(BIN)/python scripts/build_notebooks.py

flashcards: install
	$(BIN)/python -m helpers.course.flashcards print --out flashcards/flashcards.pdf

# The course's family of checkpoints: same corpus, preset, steps and seed; one thing changes in each.
# Each takes about 11 minutes on 2 idle cores (checkpoints/README.md has the measured times). A file
# already there is replaced only by a run that scores at least as well, unless FORCE=--force.
# CHECKPOINT_DIR=/some/folder writes them elsewhere (to time the build without touching the shipped ones).
CHECKPOINT_DIR ?= checkpoints
PRETRAIN := $(BIN)/python -m helpers.pretrain --preset course --no-progress $(FORCE)
checkpoints: install
	$(PRETRAIN) --out $(CHECKPOINT_DIR)/course.pt
	$(PRETRAIN) --mask-prob 1.0 --random-prob 0.0 --out $(CHECKPOINT_DIR)/course-always-mask.pt
	$(PRETRAIN) --sentence-objective none --out $(CHECKPOINT_DIR)/course-mlm-only.pt
	$(PRETRAIN) --sentence-objective sop --out $(CHECKPOINT_DIR)/course-sop.pt

checkpoint: checkpoints

benchmark: install-dev
	$(BIN)/python benchmarks/bench_core.py

claims: install-dev
	$(BIN)/python benchmarks/claims.py

# Every downstream comparison of notebook 5c (5 paired seeds per arm, plateau checks), run once in two
# 1-thread processes and stored in benchmarks/results/comparisons.json, which notebook 5c, claims.py
# and the README read. At most 45 minutes on 2 idle cores.
comparisons: install
	$(BIN)/python benchmarks/comparisons.py

# How far the course's encoder gets on paraphrase (labels x steps, by kind of pair): notebook 5c.
paraphrase-limit: install
	$(BIN)/python benchmarks/paraphrase_limit.py

clean-venv:
	rm -rf $(VENV)

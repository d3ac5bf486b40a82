# `make` builds the booklet, `make test` runs the tests; both set up .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Exact versions, with hashes, of everything .venv holds: the same install every time.
LOCK := requirements.lock

.PHONY: all bytecode booklet test test-slow test-all lint preview bench clean lock check-pdf

all: booklet

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	touch $(STAMP)

# Refresh the lock on purpose (new dependency, or newer releases), then commit it.
# (pip-compile, not `python -m piptools`: run here, build.py would shadow the `build` package.)
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --extra dev --generate-hashes --strip-extras \
		--allow-unsafe --no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml

# Cached bytecode for the package: every build compiles booklet/ without it (~0.4 s of a
# process when PYTHONDONTWRITEBYTECODE is set, as on CI), and the tests run real builds.
bytecode: $(STAMP)
	@$(PY) -m compileall -q booklet

booklet: bytecode
	$(PY) build.py

# The suite in two parts: `make test` (about 80 s on 2 cores) leaves out the tests
# marked slow (real processes, many booklets), `make test-slow` runs just those; CI runs
# both, `make test-all` runs everything at once.
test: bytecode
	$(PY) -m pytest -q -m "not slow"

test-slow: bytecode
	$(PY) -m pytest -q -m slow

test-all: bytecode
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# PDF/UA-1 by two independent checkers over every booklet in dist/: one line per file.
check-pdf: $(STAMP)
	$(PY) tools/check_pdf.py

preview: $(STAMP)
	$(PY) tools/preview.py

bench: bytecode
	$(PY) bench/bench.py

clean:
	rm -rf dist $(VENV)

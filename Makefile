# Two commands a newcomer needs: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: setup demo up test test-soak lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --editable .
	touch $@

demo: setup          ## start the local cloud from s.yaml, drive all three triggers, show what happened
	$(PY) -m localcloud demo

up: setup            ## run the local cloud with the demo's jobs until Ctrl-C (endpoints in .localcloud.json)
	$(PY) -m localcloud up --endpoints-file .localcloud.json

test: setup          ## lint + the whole test suite (what CI runs)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2 -q

test-soak: setup     ## the long generated-input and fault soak (opt-in)
	$(PY) -m pytest -n 2 -q --soak

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: setup         ## the four benchmarks; tables on stdout, JSON in bench/results/
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis *.egg-info

vendor:              ## install runtime deps for FC's python3.10 (x86_64) into python/ before `s deploy`
	$(PY) -m pip install --quiet --disable-pip-version-check --target python --upgrade \
	  --platform manylinux2014_x86_64 --python-version 3.10 --implementation cp --only-binary=:all: \
	  -r requirements.txt

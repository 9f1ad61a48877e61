# Two commands a newcomer needs: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python

.PHONY: setup package vendor demo up test test-soak lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --editable .
	touch $@

package: setup       ## build the FC code package as `s deploy` uploads it: python/ for python3.10, dist/<function>.zip
	$(PY) -m localcloud package

vendor: package      ## (old name of `make package`)

demo: package        ## start the local cloud from s.yaml, drive all three triggers, show what happened
	$(PY) -m localcloud demo

up: package          ## run the local cloud with the demo's jobs until Ctrl-C (endpoints in .localcloud.json)
	$(PY) -m localcloud up --endpoints-file .localcloud.json

test: package        ## lint + the whole test suite (what CI runs)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2 -q

test-soak: package   ## the long generated-input and fault soak (opt-in)
	$(PY) -m pytest -n 2 -q --soak

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

bench: package       ## the five benchmarks; tables on stdout, JSON in bench/results/
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis dist python *.egg-info

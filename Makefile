# Two commands on a fresh machine: `make demo` and `make test`. Both set themselves up.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.noisekit-installed
DEMO_DATA ?= demo-data

.PHONY: install test lint demo clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP) lint
	$(PY) -m pytest -q

demo: $(STAMP)
	$(VENV)/bin/noisekit run pipelines/demo.toml --data $(DEMO_DATA)

clean:
	rm -rf $(DEMO_DATA) .pytest_cache build *.egg-info

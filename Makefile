# Two commands on a fresh machine: `make demo` and `make test`. Both set themselves up.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.noisekit-installed
DEMO_DATA ?= demo-data

.PHONY: install test lint demo clean browser

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The report's test loads the page in headless Chromium (Debian's package).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "warning: could not install chromium; the browser test of the report will be skipped"

test: $(STAMP) lint browser
	$(PY) -m pytest -q

demo: $(STAMP)
	$(VENV)/bin/noisekit run pipelines/demo.toml --data $(DEMO_DATA)

clean:
	rm -rf $(DEMO_DATA) .pytest_cache build *.egg-info

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

# mypy cannot follow the editable install's import hook, so it checks the package through a tree of links laid
# out as installed (noisekit/classifier -> classifier/ ...). A folder mapped in pyproject.toml but missing here
# shows up as an import-not-found error.
MYPY_TREE := build/mypy/tree
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	rm -rf $(MYPY_TREE) && mkdir -p $(MYPY_TREE)/noisekit
	ln -s $(CURDIR)/noisekit/* $(MYPY_TREE)/noisekit/
	for p in classifier denoiser manifests pipelines; do ln -s $(CURDIR)/$$p $(MYPY_TREE)/noisekit/$$p; done
	cd $(MYPY_TREE) && $(abspath $(VENV))/bin/mypy -p noisekit --config-file $(CURDIR)/pyproject.toml \
	  --cache-dir $(CURDIR)/build/mypy/cache

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

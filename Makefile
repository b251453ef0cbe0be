# Two commands: `make lab` (set up, then open the course in JupyterLab) and `make test` (set up, then
# run every test). The set-up is a virtual environment in .venv with this project installed editable:
# `make lab` installs what a student needs (pyproject.toml's dependencies) and nothing else; `make test`
# adds the test, benchmark and hub extras, `make bench` the benchmark one.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STUDENT := $(VENV)/.ready-student
# .venv/.ready-EXTRAS marks the student set-up plus EXTRAS (comma-separated names from pyproject.toml).
FULL := $(VENV)/.ready-test,bench,hub
BENCH := $(VENV)/.ready-bench
# The notebook `make lab` opens.
START := notebooks/overview.ipynb
# The course's JupyterLab settings (no news or update pop-ups), where JupyterLab reads packages' overrides.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.d/loops-to-attention.json
CHROMIUM := /usr/bin/chromium
PROXY := $(VENV)/node/node_modules/.bin/configurable-http-proxy
PROXY_VERSION := 5.3.0
# JupyterLab refuses to start as root unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
export PATH := $(CURDIR)/$(BIN):$(PATH)
LAB_FLAGS ?=
TEST_FLAGS ?=
BENCH_FLAGS ?=

.PHONY: lab test bench release setup browser proxy

# Everything the tests need (a developer's set-up).
setup: $(FULL) $(LAB_SETTINGS) proxy

$(STUDENT): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable .
	touch $@

$(VENV)/.ready-%: $(STUDENT)
	$(BIN)/python -m pip install --quiet --editable '.[$*]'
	touch $@

$(LAB_SETTINGS): lab-settings/loops-to-attention.json $(STUDENT)
	mkdir -p $(@D)
	cp $< $@

lab: $(STUDENT) $(LAB_SETTINGS)
	mkdir -p .exchange
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" $(LAB_FLAGS) $(START)

# The browser tests need Debian's chromium; install it when we can (root), never a downloaded build.
browser:
	@test -x $(CHROMIUM) || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || echo "note: $(CHROMIUM) missing and not root: browser tests will be skipped (install Debian's chromium)"

# JupyterHub's proxy for tests/test_hub.py (and deploy/), from npm into the venv when npm is there.
proxy: $(FULL)
	@if [ -x $(PROXY) ]; then :; \
	elif command -v npm >/dev/null; then npm install --prefix $(VENV)/node --no-audit --no-fund --silent configurable-http-proxy@$(PROXY_VERSION); \
	else echo "note: npm missing: the JupyterHub test will be skipped (install Node.js with npm)"; fi

test: setup browser
	mkdir -p .exchange
	$(BIN)/python -m pytest $(TEST_FLAGS)

bench: $(BENCH)
	for script in benchmarks/*.py; do $(BIN)/python $$script $(BENCH_FLAGS) || exit 1; done

release: $(STUDENT)
	$(BIN)/course release

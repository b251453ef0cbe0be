# Two commands: `make lab` (set up, then open the course in JupyterLab) and `make test` (set up, then
# run every test). The set-up is a virtual environment in .venv with this project installed editable.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
# The course's JupyterLab settings (no news or update pop-ups), where JupyterLab reads packages' overrides.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.d/loops-to-attention.json
CHROMIUM := /usr/bin/chromium
# JupyterLab refuses to start as root unless told it may.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
export PATH := $(CURDIR)/$(BIN):$(PATH)
LAB_FLAGS ?=
TEST_FLAGS ?=
BENCH_FLAGS ?=

.PHONY: lab test bench release setup browser

setup: $(READY) $(LAB_SETTINGS)

$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test,bench]'
	touch $@

$(LAB_SETTINGS): lab-settings/loops-to-attention.json $(READY)
	mkdir -p $(@D)
	cp $< $@

lab: setup
	mkdir -p .exchange
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" $(LAB_FLAGS) notebooks/01_matrix_vs_loop/matrix_vs_loop.ipynb

# The browser tests need Debian's chromium; install it when we can (root), never a downloaded build.
browser:
	@test -x $(CHROMIUM) || { [ "$$(id -u)" = 0 ] && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || echo "note: $(CHROMIUM) missing and not root: browser tests will be skipped (install Debian's chromium)"

test: setup browser
	mkdir -p .exchange
	$(BIN)/python -m pytest $(TEST_FLAGS)

bench: $(READY)
	for script in benchmarks/*.py; do $(BIN)/python $$script $(BENCH_FLAGS) || exit 1; done

release: $(READY)
	$(BIN)/course release

# The workbook's two commands: `make lab` and `make test`. Both install the exact versions in
# uv.lock into .venv with uv, and reinstall only when pyproject.toml or uv.lock has changed.

# The first Python >= 3.12 on the PATH (pyenv reads .python-version, so python3 is 3.12 there).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.14; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 12); print(sys.executable)' 2>/dev/null \
	&& break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# uv from the PATH when it runs, else one installed into .uv/ with pip on first use.
UV := $(shell uv --version >/dev/null 2>&1 && echo uv || echo .uv/bin/uv)
# uv uses the Python found above and never downloads one of its own.
export UV_PYTHON_DOWNLOADS := never
# JupyterLab refuses to run as root unless told it may.
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
# Chapters whose marked cells nbval re-checks (those that run in seconds at their defaults).
NBVAL_NOTEBOOKS := notebooks/01-bayes-rule.ipynb

.PHONY: install lab app test lint format notebooks bench lock clean python

python:
	@test -n "$(PYTHON)" || { echo "No Python 3.12 or newer found (tried python3, python3.13," \
		"python3.12, python3.14). Install one (pyenv install 3.12, or your system's python3.12" \
		"package) or name it: make test PYTHON=/path/to/python3.12" >&2; exit 1; }

.uv/bin/uv: | python
	$(PYTHON) -m venv .uv
	.uv/bin/python -m pip install --quiet uv

# Bytecode is compiled at install (half a minute), not by each new process: where Python may
# not write it (PYTHONDONTWRITEBYTECODE, a read-only install), every kernel would otherwise
# compile PyMC, ArviZ and JAX from source again, about 10 s before its first cell.
$(STAMP): pyproject.toml uv.lock | python $(filter .uv/bin/uv,$(UV))
	$(UV) sync --locked --extra dev --compile-bytecode --python $(PYTHON)
	touch $@

# Resolve the dependencies again (after a change to pyproject.toml) and write uv.lock.
lock: | python $(filter .uv/bin/uv,$(UV))
	$(UV) lock --python $(PYTHON)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --no-browser \
		--LabApp.default_url=/lab/tree/01-bayes-rule.ipynb $(ROOT_FLAG)

# The explorers (shrinkage, pooling, priors, schools) as one page without code, served by
# Voila (which hides code by default) on 127.0.0.1 with a token; open the link it prints.
APP_PORT ?= 8866

app: $(STAMP)
	$(BIN)/voila app/explorers.ipynb --Voila.ip=127.0.0.1 --port=$(APP_PORT) --no-browser --token \
		--MappingKernelManager.kernel_manager_class=hbm_widgets.report.kernel.PollingServerKernelManager

# One test process per core (at most 4), each taking whole files, so a chapter's tests and
# the notebook nbval re-checks stay together; each process runs its chapters in one kernel.
# Files are handed out in collection order (the nbval re-check, which runs a chapter at its
# defaults in a kernel of its own, then browser tests and chapters, the slowest, first), not
# by their number of tests, so no slow file is left to run alone at the end.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest $(NBVAL_NOTEBOOKS) tests \
		--nbval-lax --nbval-sanitize-with tests/nbval_sanitize.cfg --durations=10 \
		-n auto --maxprocesses 4 --dist loadfile --no-loadscope-reorder

lint: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-execute the chapters in place at their default parameters, refreshing stored outputs
# (charts as SVG, so they show on a page that runs no JavaScript).
notebooks: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py notebooks/[0-9][0-9]-*.ipynb

# Speed and memory figures (benchmarks/results/): samplers side by side, a new kernel's first
# fit, every chapter at fast and default parameters, and chapter 08's prior study at full
# size. Takes about 45 minutes.
bench: $(STAMP)
	$(BIN)/python benchmarks/samplers.py
	$(BIN)/python benchmarks/first_fit.py
	$(BIN)/python benchmarks/chapters.py --modes fast
	$(BIN)/python benchmarks/chapters.py --modes default
	$(BIN)/python benchmarks/prior_study.py

clean:
	rm -rf $(VENV) .uv .pytest_cache .ruff_cache

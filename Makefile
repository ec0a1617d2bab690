# cnn-labs — `make help` lists the targets.
#
# Settings (override on the command line, e.g. `make data MIRROR=/media/usb/cnn-labs-data`):
#   MIRROR  offline mirror folder (artifacts + SHA256SUMS) searched before downloading.
#           Default: ../shared/data beside the repository when it exists, else none.
#   PYTHON  the Python that builds the virtual environment: CPython 3.11.5 up to 3.13.
#           Default: the newest python3.13, python3.12 or python3.11 that runs (tools/find_python.sh).
#   VENV    the virtual environment's folder (default .venv; CI also builds .venv-3.13).
#   CELL_TIMEOUT  seconds one notebook cell may run in `make solutions`, `smoke` and `nbval`
#           before its lab fails (default 1800: the longest training cell takes about 12 minutes
#           on a 2-core AVX2 CPU in float32).
#   SUBMISSIONS   `make grade`: the folder of the class's notebooks, SUBMISSIONS/<student>/<lab>.ipynb.
#   GRADE_TIMEOUT `make grade`: seconds one submitted notebook may run (default 600).
#   SETTINGS      `make grade`: smoke (default, tools/smoke_parameters.json) or full.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?=
CELL_TIMEOUT ?= 1800
# Seconds `make cross-precision` may spend on a CPU without native bfloat16 (emulated there, slow);
# a CPU with fast bfloat16 always checks every lab.
CROSS_PRECISION_BUDGET ?= 300
MIRROR ?= $(or $(CNN_LABS_MIRROR),$(wildcard $(abspath ../shared/data)))
export CNN_LABS_MIRROR := $(MIRROR)
export TF_CPP_MIN_LOG_LEVEL := 2
# (No MPLBACKEND here: notebook kernels must pick Jupyter's inline backend, or figures vanish.)

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
LINTED := helpers tests tools solutions notebooks bench
# The universal lock: one resolution valid on every platform, from the oldest supported Python up.
LOCK_ARGS := pyproject.toml --extra dev --universal --python-version 3.11.5

.PHONY: help env lock data notebooks solutions smoke lint unit notebooks-check nbval slow \
	cross-precision test lab bench grade clean

#: The stored solutions nbval re-runs (`make nbval NOTEBOOKS=solutions/01_mnist_convnet.ipynb`).
NOTEBOOKS ?= $(sort $(wildcard solutions/*.ipynb))
#: Where `make test` writes the seconds of each stage (tools/stage.sh).
export CNN_LABS_STAGES ?= $(CURDIR)/build/stages.tsv
STAGE := tools/stage.sh
REPORT_AND_FAIL := { $(STAGE) --report; exit 1; }

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'
	@echo "  settings: MIRROR=$(MIRROR)"

env: $(STAMP) ## Build .venv from the registries and register its Jupyter kernel "cnn-labs"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || { python=$$(tools/find_python.sh $(PYTHON)) && \
		echo "building $(VENV) with $$python" && "$$python" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(PY) -m tools.kernel install
	$(PY) -m tools.kernel check
	@touch $@

lock: env ## Re-resolve constraints.txt for every platform and Python after a pin changes
	$(VENV)/bin/uv pip compile --quiet $(LOCK_ARGS) -o constraints.txt \
		--custom-compile-command "make lock, i.e. uv pip compile $(LOCK_ARGS) -o constraints.txt"

data: env ## Fetch every artifact (mirror first, then cache, then download), verified
	$(PY) -m helpers.data fetch all

notebooks: env ## Generate the student notebooks in notebooks/ from solutions/
	$(PY) -m tools.notebooks generate

solutions: data ## Run every solution at full settings; keep only successful runs; record results
	$(PY) -m tools.run_solutions --cell-timeout $(CELL_TIMEOUT)
	$(PY) -m tools.notebooks generate

smoke: data ## Run every solution with tiny parameters (build/smoke/, nothing replaced)
	$(PY) -m tools.run_solutions --smoke --cell-timeout $(CELL_TIMEOUT)

lint: env ## ruff on helpers, tests, tools and the notebooks
	$(VENV)/bin/ruff check $(wildcard $(LINTED))
	$(VENV)/bin/ruff format --check $(wildcard helpers tests tools bench)

unit: env ## Unit tests (fast ones first)
	$(PY) -m pytest -q -m "not slow and not browser" tests

notebooks-check: env ## Student notebooks up to date with the solutions, and leak-free
	$(PY) -m tools.notebooks check
	$(PY) -m tools.notebooks leaks

nbval: data ## Re-run the stored solutions and compare the checked outputs (nbval)
	$(PY) -m tools.kernel check
	$(PY) -m pytest -q -p no:cacheprovider --nbval-lax --nbval-current-env \
		--nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=$(CELL_TIMEOUT) $(NOTEBOOKS)

slow: data ## Slow tests: real training, filled-in student notebooks, the browser test
	$(PY) -m pytest -q -m "slow or browser" tests

cross-precision: data ## Every lab at smoke settings in float32 and in bfloat16: same checked outputs?
	$(PY) -m tools.cross_precision --cell-timeout $(CELL_TIMEOUT) --emulated-budget $(CROSS_PRECISION_BUDGET)

test: ## The full test suite (what CI runs), timed stage by stage
	@rm -f $(CNN_LABS_STAGES)
	@$(STAGE) environment $(MAKE) --no-print-directory env data || $(REPORT_AND_FAIL)
	@$(STAGE) lint $(MAKE) --no-print-directory lint || $(REPORT_AND_FAIL)
	@$(STAGE) unit $(MAKE) --no-print-directory unit || $(REPORT_AND_FAIL)
	@$(STAGE) notebooks-check $(MAKE) --no-print-directory notebooks-check || $(REPORT_AND_FAIL)
	@$(STAGE) slow $(MAKE) --no-print-directory slow || $(REPORT_AND_FAIL)
	@$(STAGE) cross-precision $(MAKE) --no-print-directory cross-precision || $(REPORT_AND_FAIL)
	@status=0; for notebook in $(NOTEBOOKS); do \
		$(STAGE) "nbval $$(basename $$notebook .ipynb)" \
			$(MAKE) --no-print-directory nbval NOTEBOOKS=$$notebook || status=1; \
	done; $(STAGE) --report; exit $$status

lab: notebooks ## Open the student notebooks in JupyterLab on the course's kernel
	$(PY) -m tools.kernel check
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

bench: data ## Benchmark: time to accuracy, classic tutorial vs Lab 3's modern convnet; the course's seconds and memory
	$(PY) -m bench

SUBMISSIONS ?=
GRADE_TIMEOUT ?= 600
SETTINGS ?= smoke
grade: env ## Grade a class: SUBMISSIONS=DIR of DIR/<student>/<lab>.ipynb -> DIR/gradebook.csv, .html
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=DIR [GRADE_TIMEOUT=600] [SETTINGS=smoke|full]"; exit 2; }
	$(PY) -m tools.grade "$(SUBMISSIONS)" --timeout $(GRADE_TIMEOUT) --settings $(SETTINGS)

clean: ## Remove build outputs (keeps .venv and data/)
	rm -rf build .pytest_cache .ruff_cache

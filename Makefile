# learning-ml-to-llm — every target sets up what it needs first.
PY      := .venv/bin/python
QUICK   ?= 1
ID      ?= all
PYTEST_ARGS ?= -n auto --dist loadgroup --durations=20

.PHONY: setup run test test-fast lint notebooks docs clean help

help:
	@echo "make setup      create .venv and install everything (idempotent)"
	@echo "make run        execute every ready project (quick mode) and write reports/index.html"
	@echo "make test       lint + the whole test suite (library, checks, notebooks, CLI)"
	@echo "make test-fast  the suite without the slow and notebook-executing tests (-m 'not slow and not notebook')"
	@echo "make lint       ruff"
	@echo "make notebooks  regenerate learner notebooks from their sources"
	@echo "make docs       run changed notebooks (quick), then build the course site into site/ (strict: broken links fail)"

setup:
	@bash scripts/setup_environment.sh

run: setup
	ML2LLM_QUICK=$(QUICK) MPLBACKEND=Agg $(PY) -m ml2llm.cli run $(ID) $(if $(filter 1,$(QUICK)),--quick,)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check ml2llm utils scripts tests benchmarks

test: setup lint
	@# convert the real LLM once before the parallel workers start (a second call takes 0.2 s)
	HF_HUB_OFFLINE=1 $(PY) -m ml2llm.cli model get smollm2-135m-instruct --quiet
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 ML2LLM_EXECUTED_DIR=$(CURDIR)/reports/notebooks HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MLX_DISABLE_COMPILE=1 MPLBACKEND=Agg \
		$(PY) -m pytest -q $(PYTEST_ARGS)

test-fast: setup
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 MLX_DISABLE_COMPILE=1 MPLBACKEND=Agg \
		$(PY) -m pytest -q -m "not slow and not notebook" $(PYTEST_ARGS)

docs: setup
	@echo "make docs: first executes (quick mode, with progress) each notebook whose source changed since its copy in reports/notebooks/ was made, reusing the rest; then builds site/"
	ML2LLM_QUICK=$(QUICK) MPLBACKEND=Agg $(PY) -m ml2llm.cli site --out site --executed reports/notebooks --run-stale $(if $(filter 1,$(QUICK)),,--full)

notebooks: setup
	$(PY) -m ml2llm.cli notebooks

clean:
	rm -rf reports site build .pytest_cache .ruff_cache

# Set-up and everyday targets. `make demo` and `make test` each create .venv when it is missing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch first, pinned: 2.13.0 is the CPU build (an unpinned torch pulls a CUDA build of several GB).
TORCH  ?= torch==2.13.0

.PHONY: metadataset-build metadataset-checkpoint venv demo test test-slow bench-metafeatures bench-search-budget bench-fit-budget bench-metalevel bench-anytime bench-endtoend bench-endtoend-v2 bench-scale bench-learning-loop bench-device device-wheels clean

$(BIN)/automl-meta: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check $(TORCH)
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test,benchmarks,openml,boosting]'
	touch $@

venv: $(BIN)/automl-meta

demo: venv  # under a minute: recommend, a 20 s fit, the held-out score beside a default model's
	$(BIN)/python -m automl_meta.examples.demo

# The default suite in TEST_WORKERS processes (pytest-xdist): most tests wait on a worker process or a server
# and use under one core, so two of them on 2 cores took 623 s where one took 908 s (a slow hour of this VM).
TEST_WORKERS ?= 2

test: venv
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

test-slow: venv  # the benchmark scripts run whole at their smoke sizes (minutes); CI runs it after `make test`
	$(BIN)/python -m pytest -q -m slow

bench-metafeatures: venv
	$(BIN)/python benchmarks/bench_metafeatures.py

bench-search-budget: venv
	$(BIN)/python benchmarks/bench_search_budget.py

bench-metalevel: venv
	$(BIN)/python benchmarks/bench_metalevel.py

bench-anytime: venv  # hours; resumable
	$(BIN)/python benchmarks/bench_anytime.py --tasks 24 --folds 4 --trials 50

bench-endtoend: venv  # hours; resumable
	$(BIN)/python benchmarks/bench_endtoend.py --tasks 12 --budgets 30,120

AG_VENV := .venv-autogluon
$(AG_VENV)/bin/python:  # AutoGluon in an environment of its own: it pins pandas/scikit-learn/torch differently
	$(PYTHON) -m venv $(AG_VENV)
	$(AG_VENV)/bin/pip install -q --disable-pip-version-check 'autogluon.tabular[lightgbm,xgboost,catboost]>=1.1' pyarrow

bench-endtoend-v2: venv $(AG_VENV)/bin/python  # many hours on the v2 meta-dataset
	$(BIN)/python benchmarks/bench_endtoend.py --metadataset $(METADATASET_V2) --tasks 24 --budgets 30,120,600 \
		--methods automl_meta,flaml_automl,flaml_automl_ensemble,autogluon_medium,autogluon_best,flaml_zeroshot,hgb_default,rf_default,linear_default

bench-scale: venv
	$(BIN)/python benchmarks/bench_scale.py --sizes 11000,100000,1000000 --epochs 2

bench-learning-loop: venv  # ~15 min; needs the corpus
	$(BIN)/python benchmarks/bench_learning_loop.py --groups ecoli,yeast --trials 20

bench-fit-budget: venv
	$(BIN)/python benchmarks/bench_search_budget.py --mode fit

bench-device: venv  # CPU against CUDA where a GPU is visible
	$(BIN)/python benchmarks/bench_device.py --rows 200000 --epochs 2 --shapes 128x128,512x512

# What benchmarks/device_check.sh needs on the device machine that its image lacks (it has no network):
# Python 3.12 wheels of Optuna and its needs, and LightGBM, into .whl/ (ignored; named in the device call's carry).
WHEEL_FLAGS := --no-deps --only-binary=:all: --python-version 3.12 --implementation cp --platform manylinux_2_28_x86_64 \
	--platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any -d .whl
device-wheels: venv
	$(BIN)/python -m pip download -q $(WHEEL_FLAGS) optuna==5.1.0 alembic==1.20.1 sqlalchemy==2.1.9 greenlet==3.5.6 \
		mako==1.4.3 colorlog==6.12.0 lightgbm==4.7.0

# Meta-dataset v2 (hours on 2 cores; resumable). A new store starts from the shipped export (the complete v2
# build), so a build extended on one machine goes on on another; `metadataset-checkpoint` writes a partial
# export of a build in progress, to commit before a session ends.
METADATASET_V2 ?= build/v2.sqlite
SHIPPED_V2     := src/automl_meta/assets/metadataset.csv.gz
PARTIAL_V2     := benchmarks/results/metadataset_v2.partial.csv.gz
metadataset-build: venv
	test -f $(METADATASET_V2) || $(BIN)/automl-meta metadataset import $(SHIPPED_V2) --metadataset $(METADATASET_V2)
	$(BIN)/automl-meta metadataset build --metadataset $(METADATASET_V2) --jobs 2

metadataset-checkpoint: venv
	$(BIN)/automl-meta metadataset export $(PARTIAL_V2) --metadataset $(METADATASET_V2)

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache

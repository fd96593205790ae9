# composer: two commands for a new machine are `make demo` and `make test`; both install first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.composer-installed

.PHONY: install demo test lint bench clean

install: $(STAMP)
	@bash scripts/system-deps.sh

# Rebuilt only when the dependency list changes, so a second `make install` does nothing.
$(STAMP): pyproject.toml
	@bash scripts/check-python.sh $(PYTHON)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch first: 2.13.0 is the CPU build; any other version pulls gigabytes of CUDA packages.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev,live]'
	touch $(STAMP)

demo: install
	$(PY) -m composer demo --out-dir out

test: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check composer tests benchmarks
	$(VENV)/bin/mypy composer

# Every benchmark script, then the README's Results section is rebuilt from their result files.
BENCHMARKS := $(filter-out benchmarks/common.py benchmarks/report.py,$(wildcard benchmarks/*.py))
bench: install
	@failed=""; for script in $(BENCHMARKS); do echo "== $$script"; $(PY) $$script || failed="$$failed $$script"; done; \
	$(PY) benchmarks/report.py; \
	if [ -n "$$failed" ]; then echo "below a floor or failed:$$failed"; exit 1; fi

clean:
	rm -rf out .pytest_cache .mypy_cache .ruff_cache

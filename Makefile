PYTHON ?= python3

.PHONY: install install-test demo test lint

# The demo needs daxa and matplotlib; the tests need the test extras (pytest, hypothesis,
# dask, nbmake, ruff, mypy).
install:
	$(PYTHON) -m pip install -q -e ".[plot]"

install-test:
	$(PYTHON) -m pip install -q -e ".[test]"

demo: install
	$(PYTHON) -m daxa demo

test: install-test lint
	DAXA_DEMO_REAL=1 $(PYTHON) -m pytest

lint: install-test
	$(PYTHON) -m ruff check daxa tests benchmarks
	$(PYTHON) -m ruff format --check daxa tests benchmarks
	$(PYTHON) -m mypy daxa

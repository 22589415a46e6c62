PYTHON ?= python3

.PHONY: install demo test lint

install:
	$(PYTHON) -m pip install -q -e ".[test]"

demo: install
	$(PYTHON) -m daxa demo

test: install lint
	DAXA_DEMO_REAL=1 $(PYTHON) -m pytest

lint:
	$(PYTHON) -m ruff check daxa tests benchmarks
	$(PYTHON) -m ruff format --check daxa tests benchmarks
	$(PYTHON) -m mypy daxa

PYTHON ?= python3

.PHONY: install install-test demo test lint

# The demo needs daxa and matplotlib; the tests need the test extras (pytest, hypothesis,
# dask, nbmake, ruff, mypy).
# pip's own notes (build back-end, root user) go to .install.log and are shown only if the
# install fails, so the demo's first screen is the demo.
install:
	@$(PYTHON) -m pip install -q -e ".[plot]" > .install.log 2>&1 || (cat .install.log; exit 1)

install-test:
	@$(PYTHON) -m pip install -q -e ".[test]" > .install.log 2>&1 || (cat .install.log; exit 1)

demo: install
	$(PYTHON) -m daxa demo

test: install-test lint
	DAXA_DEMO_REAL=1 $(PYTHON) -m pytest

lint: install-test
	$(PYTHON) -m ruff check daxa tests benchmarks
	$(PYTHON) -m ruff format --check daxa tests benchmarks
	$(PYTHON) -m mypy daxa

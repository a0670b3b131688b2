# Two commands: `make run` starts the app, `make test` runs the whole test suite.
# Each creates and reuses its own virtual environment in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint browser clean

run: $(INSTALLED)
	MALLOC_ARENA_MAX=2 $(BIN)/streamlit run streamlit_app.py  # docs/deploy.md: memory per session

test: $(INSTALLED) browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check .

# Chromium, PostgreSQL and nginx for the browser, database and replica tests.
browser:
	@bash scripts/ensure-system-packages.sh

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
# torch pinned first: this version has a CPU wheel on disk here; the cnn extra's range then
# installs nothing more (an unpinned torch would pull the multi-GB CUDA build).
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[test,cnn]"
	touch $(INSTALLED)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache

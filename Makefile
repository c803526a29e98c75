# The two commands: `make demo` and `make test`. Both create .venv and install what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# torch is pinned in pyproject (torch==2.13.0): a looser spec pulls a multi-GB CUDA build.
EXTRAS := torch,dask,materials,subgraph,xtb,design,test
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test test-slow install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[qm9]"
	$(BIN)/hohenberg demo --out runs/demo $(if $(DEMO_SOURCE),--source $(DEMO_SOURCE),)

# `make test` leaves out the tests marked slow (the worked example, whole batches: a few minutes
# more); `make test-slow` runs just those, and CI (.ci/run) runs both.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m "not slow" $(PYTEST_ARGS)

test-slow: $(STAMP)
	$(BIN)/python -m pytest -n 2 -m slow $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) runs .pytest_cache

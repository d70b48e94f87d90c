# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev,lstm]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/dcmarket run
	$(BIN)/dcmarket case-study --out runs/p2p_ieee30
	$(BIN)/dcmarket dr --out runs/dr_2000hosts
	$(BIN)/dcmarket lec --out runs/lec_10households

test: $(STAMP)
	$(BIN)/ruff check agents market grid sim tests benchmarks
	$(BIN)/python -m pytest -q -p no:cacheprovider tests

lint: $(STAMP)
	$(BIN)/ruff check agents market grid sim tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/admm_clearing.py

clean:
	rm -rf $(VENV) build *.egg-info

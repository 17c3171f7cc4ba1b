# Two entry points for a fresh machine with only python3:
#   make demo   install into .venv and run the main job
#   make test   install into .venv and run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= causalex-demo

.PHONY: install demo test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -c constraints.txt "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"

demo: install
	$(BIN)/causalex demo -o $(OUT)

test: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,ray]"
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache

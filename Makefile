# unsuplab: two commands on a fresh machine (offline apart from the package registries).
#
#   make lessons   set up .venv, then execute every lesson headless (fast mode) and write HTML to build/html/
#   make test      set up .venv, then run the unit tests (TensorFlow and JAX backends) and every notebook with nbval
#
# Options: FULL=1 make lessons (full mode: the numbers the course quotes), NOTEBOOKS=solutions make lessons,
# PYTHON=python3.12 make ... (the interpreter that creates .venv), VENV=path.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
NOTEBOOKS ?= lessons
FULL ?=
FAST := $(if $(FULL),0,1)
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONWARNINGS := ignore::DeprecationWarning
PYTEST := $(PY) -m pytest -p no:cacheprovider

.PHONY: setup lessons test test-unit test-notebooks sync clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

lessons: setup
	UNSUPLAB_FAST=$(FAST) $(PY) -m unsuplab.lessontool run $(NOTEBOOKS) --html build/html
	@echo "Executed notebooks are in build/html/$(NOTEBOOKS)/"

test: setup test-unit test-notebooks

test-unit: setup
	$(PY) -m unsuplab.lessontool check
	UNSUPLAB_FAST=1 KERAS_BACKEND=tensorflow $(PYTEST) tests -q -n 2 --dist loadfile
	UNSUPLAB_FAST=1 KERAS_BACKEND=jax $(PYTEST) tests -q -n 2 --dist loadfile -m "not tensorflow_only"

test-notebooks: setup
	UNSUPLAB_FAST=1 KERAS_BACKEND=tensorflow $(PYTEST) -q --nbval-lax --nbval-current-env \
		--nbval-cell-timeout=300 -n 2 --dist loadscope lessons solutions

# Regenerate lessons/ from solutions/ after editing a solution notebook.
sync: setup
	$(PY) -m unsuplab.lessontool build

clean:
	rm -rf build .pytest_cache

# unsuplab: two commands on a fresh machine (offline apart from the package registries).
#
#   make lessons   set up .venv, install the Debian packages the lessons read if missing (.ci/system-packages),
#                  then execute every lesson headless in full mode (about an hour on 2 cores, resumable) and
#                  write the course site: build/course/full/site/index.html
#   make test      set up .venv, then lint (ruff), run the unit tests (TensorFlow and JAX backends), every notebook
#                  with nbval, and the grading path with the real nbgrader
#
# Options: FAST=1 make lessons (the smoke run: fast mode, a few minutes, site in build/course/fast/site/),
# FORCE=1 make lessons (run again the lessons that are up to date), NOTEBOOKS=solutions make lessons,
# PYTHON=python3.12 make ... (the interpreter that creates .venv), VENV=path.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
NOTEBOOKS ?= lessons
FAST ?=
FORCE ?=
COURSE := $(PY) -m unsuplab.course
COURSE_MODE := $(if $(filter 1 yes true,$(FAST)),--fast)
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONWARNINGS := ignore::DeprecationWarning
PYTEST := $(PY) -m pytest -p no:cacheprovider

.PHONY: setup system lessons site test lint test-unit test-notebooks test-grading sync clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# The Debian packages the lessons read (Fashion-MNIST, the English text, the baskets), installed when missing.
system:
	bash .ci/system-packages

lessons: setup system
	$(COURSE) run $(NOTEBOOKS) $(COURSE_MODE) $(if $(FORCE),--force)

# Rebuild the site from the lessons executed so far (after editing a template or a results table).
site: setup
	$(COURSE) site $(COURSE_MODE)

test: setup lint test-unit test-notebooks test-grading

lint: setup
	$(VENV)/bin/ruff check .

# Unit tests on both backends; tests marked tensorflow_only (they run notebooks in a kernel, where the
# backend does not matter) run once. Grading with nbgrader has its own target below.
test-unit: setup
	$(PY) -m unsuplab.lessontool check
	UNSUPLAB_FAST=1 KERAS_BACKEND=tensorflow $(PYTEST) tests -q -n 2 --dist loadfile --ignore=tests/test_nbgrader.py
	UNSUPLAB_FAST=1 KERAS_BACKEND=jax $(PYTEST) tests -q -n 2 --dist loadfile --ignore=tests/test_nbgrader.py \
		-m "not tensorflow_only"

test-notebooks: setup
	UNSUPLAB_FAST=1 KERAS_BACKEND=tensorflow $(PYTEST) -q --nbval-lax --nbval-current-env \
		--nbval-cell-timeout=300 -n 2 --dist loadscope lessons solutions

# The instructor path with the real nbgrader (installed from requirements-instructor.txt): release every
# lesson, autograde solved, untouched and one-wrong submissions. nbgrader runs alembic from PATH.
test-grading: setup
	$(PY) -m pip install --quiet -r requirements-instructor.txt
	PATH=$(abspath $(VENV))/bin:$$PATH UNSUPLAB_FAST=1 KERAS_BACKEND=tensorflow $(PYTEST) -q tests/test_nbgrader.py

# Regenerate lessons/ from solutions/ after editing a solution notebook. It never overwrites a lesson that
# holds edits; BACKUP=1 moves such a lesson aside (NAME.ipynb.edited-TIMESTAMP) and regenerates it.
BACKUP ?=
sync: setup
	$(PY) -m unsuplab.lessontool build $(if $(BACKUP),--backup)

clean:
	rm -rf build .pytest_cache

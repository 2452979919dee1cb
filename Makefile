# unsuplab: two commands on a fresh machine (offline apart from the package registries).
#
#   make lessons   set up .venv, install the Debian packages the lessons read if missing (.ci/system-packages),
#                  then execute every lesson headless in full mode (about an hour on 2 cores, resumable) and
#                  write the course site: build/course/full/site/index.html
#   make test      set up .venv, then lint (ruff), run the unit tests on TensorFlow, JAX and PyTorch, the
#                  end-to-end tests (tests/e2e/), the unit tests on the lowest versions requirements.txt allows
#                  (.venv-lowest), every notebook with nbval (the solutions on all three backends), and the
#                  grading path with the real nbgrader
#
# Options: FAST=1 make lessons (the smoke run: fast mode, a few minutes, site in build/course/fast/site/),
# FORCE=1 make lessons (run again the lessons that are up to date), NOTEBOOKS=solutions make lessons,
# PYTHON=python3.12 make ... (the interpreter that creates .venv), VENV=path,
# KERAS_BACKEND=jax|torch make lessons (the course on another backend; the site records which).

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
# The tests (not `make lessons`) ask XLA for quick compiles: on JAX, and on TensorFlow's jit_compile, most of a
# fast-mode test's time is spent compiling small graphs that then run a few steps. Level 0 with LLVM's
# expensive passes off cut lesson 08's checks plus test_registration on JAX from 266 s to 167 s on 2 cores;
# the numbers a test asserts do not change (same ops, less optimised machine code). Full mode keeps XLA's default.
QUICK_XLA := --xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true
test-unit test-e2e test-lowest test-notebooks test-grading: export XLA_FLAGS := $(strip $(XLA_FLAGS) $(QUICK_XLA))
# Notebooks run ahead of time (nbval, nbgrader, the site) draw the stills of their sliders: a widget's output
# needs a live kernel, and an error inside a widget's callback would not fail the run (unsuplab/interactive.py).
test-notebooks test-grading grade: export UNSUPLAB_STATIC := 1

.PHONY: setup torch lowest system lessons site test lint test-unit test-e2e test-lowest test-notebooks test-grading sync dist clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# PyTorch, the third backend, pinned to its CPU build (requirements-torch.txt).
torch: $(VENV)/.torch-installed

$(VENV)/.torch-installed: requirements-torch.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-torch.txt
	touch $@

# The lowest versions requirements.txt allows (constraints/lowest.txt pins each lower bound), in a venv of their own.
LOWEST_VENV ?= .venv-lowest
lowest: $(LOWEST_VENV)/.installed

$(LOWEST_VENV)/.installed: requirements.txt constraints/lowest.txt pyproject.toml
	$(PYTHON) -m venv $(LOWEST_VENV)
	$(LOWEST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOWEST_VENV)/bin/python -m pip install --quiet -r requirements.txt -c constraints/lowest.txt
	$(LOWEST_VENV)/bin/python -m pip install --quiet --no-deps -e .
	touch $@

# The Debian packages the lessons read (Fashion-MNIST, the English text, the baskets), installed when missing.
system:
	bash .ci/system-packages

lessons: setup system
	$(COURSE) run $(NOTEBOOKS) $(COURSE_MODE) $(if $(FORCE),--force)

# Rebuild the site from the lessons executed so far (after editing a template or a results table).
site: setup
	$(COURSE) site $(COURSE_MODE)

test: setup lint test-unit test-e2e test-lowest test-notebooks test-grading

lint: setup
	$(VENV)/bin/ruff check .

# Unit tests on the three backends, in-process; tests marked tensorflow_only (they run a notebook in a kernel,
# where the backend does not matter) or backend_independent (no Keras backend used: tests/conftest.py) run once. The
# end-to-end tests (tests/e2e/: the course runner and its site in a browser, the README example, the wheel in a
# fresh venv, checks in a fresh Python, the splits on the other backends) start kernels, child processes or venvs:
# they run once, on TensorFlow, in test-e2e. Grading with nbgrader has its own target below.
UNIT := $(PYTEST) tests -q -rs -n 2 --dist loadfile --ignore=tests/test_nbgrader.py --ignore=tests/e2e
test-unit: setup torch
	$(PY) -m unsuplab.lessontool check
	UNSUPLAB_FAST=1 KERAS_BACKEND=tensorflow $(UNIT)
	UNSUPLAB_FAST=1 KERAS_BACKEND=jax $(UNIT) -m "not tensorflow_only and not backend_independent"
	UNSUPLAB_FAST=1 KERAS_BACKEND=torch $(UNIT) -m "not tensorflow_only and not backend_independent"

test-e2e: setup torch
	UNSUPLAB_FAST=1 KERAS_BACKEND=tensorflow $(PYTEST) tests/e2e -q -rs -n 2 --dist loadfile

# The unit tests on TensorFlow with the lowest versions requirements.txt allows.
test-lowest: lowest
	$(LOWEST_VENV)/bin/python -m pip list --format=freeze | grep -iE '^(keras|tensorflow[a-z-]*|numpy)=='
	UNSUPLAB_FAST=1 KERAS_BACKEND=tensorflow $(LOWEST_VENV)/bin/python -m pytest -p no:cacheprovider tests -q -n 2 \
		--dist loadfile --ignore=tests/test_nbgrader.py -m "not tensorflow_only" -rs

# Every notebook on TensorFlow; the solved notebooks on JAX and PyTorch too (a lesson that cannot run on a
# backend is skipped with its reason: unsuplab/backends.py).
NBVAL := $(PYTEST) -q -rs --nbval-lax --nbval-current-env --nbval-cell-timeout=300 -n 2 --dist loadscope
test-notebooks: setup torch
	UNSUPLAB_FAST=1 KERAS_BACKEND=tensorflow $(NBVAL) lessons solutions
	UNSUPLAB_FAST=1 KERAS_BACKEND=jax $(NBVAL) solutions
	UNSUPLAB_FAST=1 KERAS_BACKEND=torch $(NBVAL) solutions

# The instructor path with the real nbgrader (installed from requirements-instructor.txt): release every
# lesson, autograde solved, untouched and one-wrong submissions. nbgrader runs alembic from PATH.
test-grading: setup
	$(PY) -m pip install --quiet -r requirements-instructor.txt
	PATH=$(abspath $(VENV))/bin:$$PATH UNSUPLAB_FAST=1 KERAS_BACKEND=tensorflow $(PYTEST) -q -s tests/test_nbgrader.py

# Autograde one assignment of an nbgrader course (COURSE_DIR, default: here) with every student's code in a
# bubblewrap sandbox: the course read-only except the submission being graded (docs/instructors.md).
# make grade ASSIGNMENT=l04 COURSE_DIR=~/unsuplab-course [FAST=1]
ASSIGNMENT ?=
COURSE_DIR ?= .
.PHONY: grade
grade: setup
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade ASSIGNMENT=l04 [COURSE_DIR=path] [FAST=1]" >&2; exit 2; }
	$(PY) -m pip install --quiet -r requirements-instructor.txt
	cd $(COURSE_DIR) && $(if $(filter 1 yes true,$(FAST)),UNSUPLAB_FAST=1) \
		$(abspath $(PY)) -m unsuplab.checks.sandbox grade $(ASSIGNMENT)

# Regenerate lessons/ from solutions/ after editing a solution notebook. It never overwrites a lesson that
# holds edits; BACKUP=1 moves such a lesson aside (NAME.ipynb.edited-TIMESTAMP) and regenerates it.
BACKUP ?=
sync: setup
	$(PY) -m unsuplab.lessontool build $(if $(BACKUP),--backup)

# The wheel of the library alone (unsuplab/ with its site templates; no lessons, tests or benchmarks) in DIST,
# built offline with the venv's setuptools; install it with pip install build/dist/unsuplab-*.whl (a Keras backend
# too). setuptools stages the package in build/lib, emptied before (a stale file there would enter the wheel) and
# after. tests/e2e/test_dist.py runs this target on a copy of the sources and installs the wheel in a fresh venv.
DIST ?= build/dist
dist: setup
	rm -rf build/lib build/bdist.* $(DIST)/unsuplab-*.whl
	$(PY) -m pip wheel --quiet --no-deps --no-build-isolation --no-index --wheel-dir $(DIST) .
	rm -rf build/lib build/bdist.*
	@ls $(DIST)/unsuplab-*.whl

clean:
	rm -rf build .pytest_cache

# Two commands do all the set-up: `make lab` opens the course, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
NBVAL  := --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=120
# One notebook per worker: a notebook's cells share one kernel, so they must stay together.
NBPAR  := -n auto --dist loadfile

.PHONY: lab test test-portable lint bench book exercises clean

# (Re)install whenever pyproject.toml changes; a missing .venv is created first.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Rooted at the repository, opening the first lecture; as root too (tools/lab.py says how).
lab: $(STAMP)
	$(PY) tools/lab.py

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check lrcourse tests benchmarks tools

# Unit, property, reference, grader and browser tests; then the notebooks: strict nbval on the
# lectures and solutions, lax nbval on the generated exercises, and the portability pass.
test: $(STAMP) lint
	$(PY) -m pytest -q -W error::DeprecationWarning tests --doctest-modules lrcourse
	$(PY) -m pytest -q $(NBPAR) --nbval $(NBVAL) notebooks solutions
	$(PY) -m pytest -q $(NBPAR) --nbval-lax $(NBVAL) exercises
	$(MAKE) --no-print-directory test-portable

# Strict nbval again as another CPU rounds: NumPy's highest SIMD group off, one BLAS thread
# (tools/perturbed.py says why). A claim that fails here hangs on one machine's last bits.
test-portable: $(STAMP)
	$(PY) tools/perturbed.py $(PY) -m pytest -q -p no:cacheprovider $(NBPAR) --nbval $(NBVAL) notebooks solutions

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# The course website, from the notebooks' stored outputs (nothing is re-executed), into
# build/book/_build/html; tests/test_book.py checks it in a browser.
book: $(STAMP)
	$(PY) tools/build_book.py

# The learners' notebooks from the solutions, and the mutants' results the package matches against.
exercises: $(STAMP)
	$(PY) tools/make_exercises.py
	$(PY) tools/record_mistakes.py

clean:
	rm -rf $(VENV) build *.egg-info

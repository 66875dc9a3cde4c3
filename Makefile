# `make html` and `make test` are all a newcomer needs; each creates .venv on first use.
PYTHON      ?= python3
VENV        ?= .venv
PY          := $(VENV)/bin/python
SPHINXBUILD := $(PY) -m sphinx
SPHINXOPTS  ?= -n -W --keep-going
SOURCEDIR   := docs/source
BUILDDIR    := build
SPHINX      = $(SPHINXBUILD) -c . $(SPHINXOPTS) $(SOURCEDIR)

.PHONY: help venv html doctest linkcheck livehtml lint typecheck pytest test bench mutate clean \
	test-sphinx-range test-sphinx74 test-sphinx-newest

help:
	@echo "make html       build the site into $(BUILDDIR)/html"
	@echo "make test       everything CI runs: lint, types, docs (nitpicky), doctest, pytest"
	@echo "make doctest    run every >>> example of the pages and docstrings"
	@echo "make livehtml   rebuild and reload the site on every change"
	@echo "make linkcheck  check external links (needs network)"
	@echo "make bench      print speed ratios (BENCH_QUICK=1 for a short run)"
	@echo "make mutate     mutation testing: how many wrong versions of the code the tests catch"
	@echo "make test-sphinx-range  the extension's tests on the oldest and newest Sphinx it supports"
	@echo "make clean      remove $(BUILDDIR) and $(VENV)"

# The virtual environment, with every dependency pinned by constraints.txt.
venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip
	$(PY) -m pip install -qq -c constraints.txt -e ".[docs,test]"
	touch $@

html: venv
	$(SPHINX) -b html $(BUILDDIR)/html

doctest: venv
	$(SPHINX) -b doctest $(BUILDDIR)/doctest

linkcheck: venv
	$(SPHINX) -b linkcheck $(BUILDDIR)/linkcheck

livehtml: venv
	$(PY) -m sphinx_autobuild -c . $(SOURCEDIR) $(BUILDDIR)/html --watch elastic_events --watch sphinxext \
		--watch docs/captures

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: venv
	$(PY) -m mypy

pytest: venv
	$(PY) -m pytest

test: lint typecheck html doctest pytest

# The extension's tests on the oldest and the newest Sphinx it supports (pyproject.toml's
# "sphinx" extra), each in a venv of its own pinned by constraints-<name>.txt; the site itself
# stays on constraints.txt. The package is installed from its wheel, which must provide
# elastic_events_sphinx and no top-level sphinxext; the tests run against the checkout.
RANGE_TESTS    := tests/test_event_json_build.py tests/test_event_json_parse.py \
                  tests/test_markup_injection.py $(wildcard tests/test_adopt*.py)
RANGE_PACKAGES := sphinx docutils myst-parser pytest beautifulsoup4 hypothesis jsonschema \
                  pydantic attrs

test-sphinx-range: test-sphinx74 test-sphinx-newest

test-sphinx74 test-sphinx-newest: test-%: $(BUILDDIR)/venv-%/.installed
	$(BUILDDIR)/venv-$*/bin/python -m pip install -qq --no-deps --force-reinstall .
	cd / && $(CURDIR)/$(BUILDDIR)/venv-$*/bin/python -c "import importlib.util as u, \
		elastic_events_sphinx; assert u.find_spec('sphinxext') is None, 'wheel ships sphinxext'"
	PYTHONPATH=$(CURDIR) $(BUILDDIR)/venv-$*/bin/python -m pytest -q $(RANGE_TESTS)

$(BUILDDIR)/venv-%/.installed: constraints-%.txt pyproject.toml
	test -x $(BUILDDIR)/venv-$*/bin/python || $(PYTHON) -m venv $(BUILDDIR)/venv-$*
	$(BUILDDIR)/venv-$*/bin/python -m pip install -qq -c constraints-$*.txt . $(RANGE_PACKAGES)
	touch $@

bench: venv
	$(PY) benchmarks/run.py

clean:
	rm -rf $(BUILDDIR) $(VENV)

# Mutation testing (not part of `make test`): the kill rate of the tests over the core modules.
mutate: venv
	nice $(PY) tools/mutate.py

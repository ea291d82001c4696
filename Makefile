# Two commands do everything on a fresh machine with Python 3.11:
#   make book   set up, run every notebook headless (quick profile), build the HTML book into _build/html
#   make test   set up, run the test suite (unit tests, notebook smoke runs, a book build)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PROFILE ?= quick

.PHONY: book test setup clean

book: $(STAMP)
	$(PY) -m sbsr.book.build --profile $(PROFILE)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

clean:
	rm -rf _build book/chapters results/*.csv results/run-summary.json

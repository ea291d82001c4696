# Two commands do everything on a fresh machine with Python 3.11:
#   make book   set up, run every notebook headless (quick profile), build the HTML book into _build/html
#   make test   set up, run the test suite (unit tests, notebook smoke runs, a book build, a headless browser
#               pass over the built pages; screenshots in test-artifacts/)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PROFILE ?= quick
DEVICE ?=
CHROMIUM ?= /usr/bin/chromium
# Debian's package manager, used only when a tool is missing and we are root (CI, containers).
APT := $(shell [ "$$(id -u)" = 0 ] && command -v apt-get)

.PHONY: book test setup assets browser blender clean

book: setup blender
	$(PY) -m sbsr.book.build --profile $(PROFILE) $(if $(DEVICE),--device $(DEVICE))

test: setup browser blender
	$(PY) -m pytest $(PYTEST_ARGS)

setup: $(STAMP) assets

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

# The book serves its own require.js, Jupyter widgets HTML manager and MathJax (no CDN): `npm pack` fetches
# the versions pinned in lib/sbsr/book/sphinx_ext.py into the git-ignored .vendor/ (a no-op once there).
assets: $(STAMP)
	@command -v npm >/dev/null || { test -n "$(APT)" && $(APT) update -qq && $(APT) install -y -qq npm >/dev/null; } \
		|| { echo "make: npm is needed once to fetch the book's JavaScript; install Node.js" >&2; exit 1; }
	$(PY) -m sbsr.book.build --fetch-assets

# The browser test drives Debian's Chromium (never a browser download of its own).
browser:
	@test -x $(CHROMIUM) || { test -n "$(APT)" && $(APT) update -qq && $(APT) install -y -qq chromium >/dev/null; } \
		|| echo "make: $(CHROMIUM) is missing and cannot be installed here; the browser tests will be skipped" >&2

# Blender Freestyle, the thesis's line renderer, for the data chapter's clean / messy / Freestyle comparison and
# the Freestyle tests: Debian's blender package (never a download of its own). Without it they are skipped.
blender:
	@command -v blender >/dev/null || { test -n "$(APT)" && $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq blender >/dev/null; } \
		|| echo "make: blender is missing and cannot be installed here; the Freestyle comparisons will be skipped" >&2

clean:
	rm -rf _build book/chapters results/*.csv results/run-summary.json test-artifacts

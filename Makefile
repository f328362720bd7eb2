# Estate Desk — `make run` serves the portal with demo data, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
PORT   ?= 5000
THREADS ?= 8
export FLASK_APP := wsgi:app

.PHONY: run test install translations extract bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed translations

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile -d translations -f
	$(VENV)/bin/pybabel -q compile -d translations -D admin -f

run: install
	$(VENV)/bin/flask seed --if-empty
	@echo "Estate Desk: open http://127.0.0.1:$(PORT) and log in as admin, manager, supervisor, clerk,"
	@echo "housekeeper, cashier, culture, guard or executive (manager2, clerk2: second community) with the demo password"
	@echo "printed at first seeding, or the value of DEMO_PASSWORD."
	RUN_SCHEDULER=1 $(VENV)/bin/waitress-serve --threads=$(THREADS) --listen=127.0.0.1:$(PORT) wsgi:app

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) -m bench.run
	$(PY) -m bench.store

# Extract new strings and merge them into the catalogs (translate, then `make translations`).
extract: $(VENV)/.installed
	$(PY) -m translations.tool update

clean:
	rm -rf $(VENV) instance

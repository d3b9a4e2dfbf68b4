PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test lint install bench translations

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/activate setup.cfg setup.py pyproject.toml
	$(BIN)/pip install -q -e '.[postgres,redis]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test,postgres,redis]'
	touch $@

# The Nu Html Checker for tests/test_html_valid.py, at the version .ci/vnu pins (its
# install script only fetches a Java, which the machine has). Without npm the test says
# it is skipped, or fails where CI requires it.
$(VENV)/vnu/.installed: $(BIN)/activate .ci/vnu/package.json .ci/vnu/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		mkdir -p $(VENV)/vnu && cp .ci/vnu/package.json .ci/vnu/package-lock.json $(VENV)/vnu/ && \
		npm ci --prefix $(VENV)/vnu --ignore-scripts --no-audit --no-fund --loglevel=error && \
		touch $@; \
	else echo "npm not found: the HTML check (tests/test_html_valid.py) cannot run"; fi

install: $(VENV)/.installed

# Development server: migrates the SQLite database in instance/, creates an admin
# (password printed once) and demo data on an empty database, serves on :5000.
run: $(VENV)/.installed instance/config.py
	$(FLASK) db upgrade
	$(FLASK) bootstrap
	FLASK_DEBUG=1 $(FLASK) run --host 127.0.0.1 --port 5000

# Lint + format check, then the whole suite on SQLite; again on PostgreSQL when
# TEST_DATABASE_URL is set (each run creates and drops a throwaway database).
test: $(VENV)/.installed-test $(VENV)/vnu/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -p no:cacheprovider
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== again on PostgreSQL ($$TEST_DATABASE_URL)"; \
		TEST_DB=postgres $(BIN)/pytest -q -p no:cacheprovider; \
	elif [ "$$REQUIRE_POSTGRES" = "1" ]; then \
		echo "REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set"; exit 1; \
	fi

# A random secret key of this checkout's own, written once.
instance/config.py:
	@mkdir -p instance
	@$(PY) -c "import secrets; print(f'SECRET_KEY = {secrets.token_hex(32)!r}')" > $@
	@echo "wrote $@ with a new SECRET_KEY"

# Every benchmark in bench/ (see bench/README.md); results go to BENCHMARKS.md by hand.
BENCHES := surge sign_post checkin_api qr_codes badges packet manage_export paper_import rallies_rsvp kiosk_sync
bench: $(VENV)/.installed-test
	@for b in $(BENCHES); do echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py || exit 1; done

# The app's one catalog (README, "Translations"): extract the marked messages into
# messages.pot, bring the Spanish .po in line with it (new messages come in empty, gone
# ones go), compile the .mo. The template is replaced only when a message or reference
# changed, so a run with nothing new leaves every file, and its POT-Creation-Date, as is.
CATALOG := petitions/translations
translations: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg --add-comments=Translators: --sort-by-file \
		--add-location=file --project=petitions -o $(CATALOG)/messages.pot.new \
		--header-comment="# Messages of the petitions app, extracted by make translations." .
	@if diff -q -I '^"POT-Creation-Date: ' $(CATALOG)/messages.pot $(CATALOG)/messages.pot.new >/dev/null 2>&1; \
	then rm $(CATALOG)/messages.pot.new; else mv $(CATALOG)/messages.pot.new $(CATALOG)/messages.pot; fi
	$(BIN)/pybabel -q update -i $(CATALOG)/messages.pot -d $(CATALOG) --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d $(CATALOG) --statistics

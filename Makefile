# The two commands: `make run` and `make test`. Both need only Python 3.11 and a C compiler.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test lint messages bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: install
	$(BIN)/python scripts/dev.py run

test: install
	$(BIN)/python scripts/dev.py test

# Style, a security linter over every package, and known vulnerabilities in the pinned
# dependencies (scripts/audit_deps.py; AUDIT_REQUIRED=1 fails when no advisory service answers).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r partnerportal csat leads contacts support scripts bench
	$(BIN)/python scripts/audit_deps.py

# Re-extract the message catalogues after changing user-facing strings (needs GNU gettext).
messages: install
	$(BIN)/python scripts/messages.py

# Builds its own data set in the database bench_partnerportal (dropped and created anew) and
# writes bench/results/latest.{json,md}. BENCH_ARGS="--scale 0.1" for a quick run.
bench: install
	DATABASE_URL="$$($(BIN)/python scripts/dev.py db | tail -n 1)" $(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .var

# Two commands (see README): `make run` starts the bot (the offline demo when no token is set),
# `make test` runs the whole test suite. Both create ./.venv and install the project first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench install clean catalogs

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,demo]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/aduan run

# Four test processes (an end-to-end test spends most of its time waiting for the bot process);
# idle ones take tests queued for busy ones, so a few long tests do not end up in one queue.
WORKERS ?= 4

test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(WORKERS) --dist worksteal $(PYTEST_ARGS)

# The performance matrix (bench/README.md): 40 and 200 citizens, SQLite and PostgreSQL, each beside
# the echo and PTB-form baselines; about ten minutes. One cell: `python -m bench.form_throughput`.
bench: $(STAMP)
	$(BIN)/python -m bench.form_matrix $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# After changing user-facing text: refresh the template and both catalogs, then translate the
# new entries in handlers/locale/id/LC_MESSAGES/messages.po (tests/unit/test_catalogs.py checks).
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k gettext -k ngettext:1,2 -k N_ --no-wrap -o handlers/locale/messages.pot .
	$(BIN)/pybabel update -i handlers/locale/messages.pot -d handlers/locale --no-wrap --ignore-obsolete

# `make demo` and `make test` set everything up on a machine with Python 3.11+ and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint typecheck unit browser assets clean

demo: $(INSTALLED) assets
	$(BIN)/tidings demo

test: $(INSTALLED) assets browser lint typecheck
	$(BIN)/pytest -n 2

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(INSTALLED)
	$(BIN)/mypy

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $(INSTALLED)

# The web app serves htmx from /static/vendor, fetched from the npm registry at the version and
# integrity package-lock.json pins (no Node.js needed; nothing is fetched once it is there).
assets:
	@$(PYTHON) tools/npm_assets.py

# The browser tests (tests/browser) drive Debian's Chromium through the playwright package
# (the test extra); fonts-noto-cjk draws Korean and fonts-noto-color-emoji the emoji people
# type (without it they are boxes in the screenshots). Installed from Debian when missing, with
# sudo unless root; nothing is done, and nothing printed, once all are there. Never
# `playwright install`: no browser is downloaded.
CHROMIUM := /usr/bin/chromium
BROWSER_FONTS := fonts-noto-cjk fonts-noto-color-emoji
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

browser:
	@test -x $(CHROMIUM) && [ "$$(dpkg-query -W -f='$${Status}\n' $(BROWSER_FONTS) 2>/dev/null | grep -c 'ok installed')" = $(words $(BROWSER_FONTS)) ] || { \
		echo "Installing Debian's chromium and $(BROWSER_FONTS) for the browser tests"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium $(BROWSER_FONTS) >/dev/null; }
	@test -x $(CHROMIUM) || { echo "$(CHROMIUM) is missing: install Debian's chromium" >&2; exit 1; }

clean:
	rm -rf $(VENV) tidings/web/static/vendor .mypy_cache .ruff_cache .pytest_cache

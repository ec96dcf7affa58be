# The two commands of the README:  make run  (ingest the samples and serve)  and  make test.
# make installs the media extra too: audio/video ingest and its tests need it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | sha1sum | cut -c1-12)

export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test system-packages lint clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,media]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# Ingest the samples (a re-run skips what is unchanged), then serve the page until Ctrl-C.
run: $(STAMP)
	$(BIN)/searchapp ingest data/
	$(BIN)/searchapp stats
	$(BIN)/searchapp serve --host $(HOST) --port $(PORT)

# Debian packages the tests drive: chromium for the browser tests (playwright's own
# download cannot run here) and espeak-ng, which speaks the audio tests' recordings.
SYSTEM_PACKAGES := chromium espeak-ng

test: $(STAMP) system-packages
	$(BIN)/python -m pytest

system-packages:
	@missing=""; for p in $(SYSTEM_PACKAGES); do command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y $$missing; \
	elif command -v sudo >/dev/null 2>&1; then sudo apt-get update && sudo apt-get install -y $$missing; \
	else echo "the tests need$$missing (apt-get install -y$$missing): the browser tests skip and the audio tests fail until then"; fi

lint: $(STAMP)
	$(BIN)/ruff check searchapp tests bench
	$(BIN)/ruff format --check searchapp tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

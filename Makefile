# narrate — the README's commands. Each target installs what it needs first.
#   make demo   set everything up and narrate samples/ferry-timetable.md into output/, with the
#               default voice and with the neural one (--profile neural, with its read-along page:
#               --player), and print the paths
#   make test   set everything up and run the whole test suite
#   make lint   ruff and mypy
#   make bench  the speed benchmark (README, "Speed")

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# libimage-exiftool-perl: the tests read narrate's XMP with exiftool, a reader that is not ours
# chromium, chromium-driver, epubcheck: the read-along tests run a real browser and EPUBCheck
SYSTEM_PACKAGES := espeak-ng libespeak-ng1 ffmpeg libebur128-1 libmpg123-0 flite festival festvox-us-slt-hts libimage-exiftool-perl chromium chromium-driver epubcheck
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench system venv clean

system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,service,neural,disclosure,cluster]'
	@touch $(STAMP)

venv: system $(STAMP)

demo: venv
	@default=$$($(VENV)/bin/narrate samples/ferry-timetable.md -o output/ -q) && \
	neural=$$($(VENV)/bin/narrate samples/ferry-timetable.md --profile neural --player -o output/neural/ -q) && \
	echo "default voice (pyttsx3/espeak-ng): $$default" && \
	echo "neural voice (--profile neural):   $$neural" && \
	echo "read-along page (--player):        $${neural%.*}.html  (open it in a browser)"
	@echo
	@echo "The newsroom service: $(VENV)/bin/narrate serve keys create --data narrate-data"
	@echo "                      $(VENV)/bin/narrate serve --data narrate-data   # http://127.0.0.1:8150/docs"

test: venv
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check narrate tests bench
	$(VENV)/bin/mypy narrate

bench: venv
	@# Byte-compile first: with PYTHONDONTWRITEBYTECODE set (as on our machines) every run
	@# would compile the package again and the benchmark would time the compiler.
	$(PY) -m compileall -q narrate >/dev/null
	$(PY) bench/bench.py
	$(PY) bench/neural_bench.py

clean:
	rm -rf $(VENV) build *.egg-info

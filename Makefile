# One entry point for students, instructors and CI. `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    ?= grading-out
DEMO   := demo-out
GRADESCOPE := gradescope

.PHONY: help setup setup-zh release translations demo test test-fast lint lab grade bench solutions gradescope clean

help:
	@echo "make demo               grade examples/submissions in a scratch course, into $(DEMO)/ (your gradebook untouched)"
	@echo "make test               the whole test suite"
	@echo "make lint               ruff, with the configuration in pyproject.toml (the suite runs it too)"
	@echo "make lab                JupyterLab on the course (make lab LANG=zh: the Chinese start page)"
	@echo "make setup-zh           also JupyterLab's Chinese language pack (optional)"
	@echo "make translations       rebuild the Chinese editions (notebooks/zh/, release/<id>/zh/) from i18n/zh/"
	@echo "make release            regenerate release/ (and the example submissions) from source/"
	@echo "make grade DIR=folder   autograde a folder or .zip of submissions into OUT=$(OUT)/"
	@echo "make bench              measure notebook runtimes and explorer updates (benchmarks/results/)"
	@echo "make solutions          notebooks with solutions, without hidden tests, into solutions/"
	@echo "make gradescope         one Gradescope autograder zip per assignment into $(GRADESCOPE)/"
	@echo "make clean              remove what make generated and can regenerate; never grades or submissions"

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found: install it, or run make PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "this course needs Python 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m compileall -q dlcourse autograder  # the sandbox mounts them read-only: no bytecode is written there
	@touch $(STAMP)

setup: $(STAMP)

release: $(STAMP)
	$(BIN)/python -m autograder release
	$(BIN)/python examples/build_submissions.py

# a scratch course in $(DEMO)/course: the course's own gradebook.db, submitted/ and release/ are never touched
demo: $(STAMP)
	rm -rf $(DEMO)
	mkdir -p $(DEMO)/course
	cp -R source nbgrader_config.py $(DEMO)/course/
	$(BIN)/python -m autograder release --root $(DEMO)/course
	$(BIN)/python -m autograder -v grade examples/submissions --out $(DEMO) --root $(DEMO)/course
	@echo "Open $(DEMO)/feedback/carol/01_fitting/01_fitting.html to see what a student receives;"
	@echo "$(DEMO)/course is a scratch course holding the demo's gradebook."

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .

# LANG=zh (or a zh_* locale): the Chinese start page, and JupyterLab in Chinese if the pack is installed
ZH_LAB := $(filter zh%,$(LANG))
lab: $(STAMP)
ifeq ($(ZH_LAB),)
	$(BIN)/jupyter lab
else
	mkdir -p .jupyter-zh/@jupyterlab/translation-extension
	echo '{"locale": "zh_CN"}' > .jupyter-zh/@jupyterlab/translation-extension/plugin.jupyterlab-settings
	env LANG=C.UTF-8 JUPYTERLAB_SETTINGS_DIR=$(CURDIR)/.jupyter-zh $(BIN)/jupyter lab notebooks/zh/00_start_here.ipynb
endif

setup-zh: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,zh]'

translations: $(STAMP)
	$(BIN)/python -m autograder translate build

grade: $(STAMP)
	@test -n "$(DIR)" || { echo "usage: make grade DIR=path/to/submissions [OUT=folder]"; exit 2; }
	$(BIN)/python -m autograder -v grade "$(DIR)" --out "$(OUT)"

bench: $(STAMP)
	$(BIN)/python benchmarks/notebook_runtime.py
	$(BIN)/python benchmarks/explorer_updates.py

solutions: $(STAMP)
	$(BIN)/python -m autograder solutions

gradescope: $(STAMP)
	$(BIN)/python -m autograder gradescope build --out $(GRADESCOPE)

# only what make generated and can regenerate: grades (gradebook.db, submitted/, autograded/,
# feedback/, $(OUT)/) are never deleted here
clean:
	rm -rf $(DEMO) solutions $(GRADESCOPE) benchmarks/out .pytest_cache .jupyter-zh
	@echo "kept: gradebook.db, submitted/, autograded/, feedback/ and $(OUT)/ (grades: delete them yourself if you mean to)"

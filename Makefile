# Two commands for a new user: `make demo` and `make test`. Both install what is missing first:
# Debian packages (as root, or through sudo), then a virtual environment with the package.
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= out
SYSTEM_PACKAGES := fonts-noto-cjk fonts-arphic-ukai libharfbuzz-subset0 poppler-utils libpango-1.0-0 libpangoft2-1.0-0 \
                   python3-venv

.PHONY: install system demo test test-fast typecheck schemas bench lint clean

install: system $(VENV)/.installed

system:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "zzcbec: installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

demo: install
	$(VENV)/bin/zzcbec demo --out $(OUT)

test: install
	$(PY) -m ruff check -q zzcbec_docs tests benchmarks
	$(PY) -m mypy
	$(PY) -m zzcbec_docs.bundle.publish --check
	$(PY) -m pytest -q -p no:cacheprovider

# the quick loop while working: no rendering-heavy (slow) or PostgreSQL tests, no interpreter per test
test-fast: install
	ZZCBEC_PROPERTY_EXAMPLES=60 ZZCBEC_POLICY_EXAMPLES=40 $(PY) -m pytest -q -p no:cacheprovider -m "not slow and not postgres" -x

typecheck: install
	$(PY) -m mypy

# the bundle and profile schemas are generated from the packaged policy
schemas: install
	$(PY) -m zzcbec_docs.bundle.publish

bench: install
	$(PY) benchmarks/bench_check.py
	$(PY) benchmarks/bench_render.py

lint: install
	$(PY) -m ruff check zzcbec_docs tests benchmarks

clean:
	rm -rf $(VENV) $(OUT) build dist .pytest_cache

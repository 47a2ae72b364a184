# Two commands for a new user: `make demo` and `make test`. Both install what is missing first:
# Debian packages (as root, or through sudo), then a virtual environment with the package.
VENV ?= .venv
PY := $(VENV)/bin/python
OUT ?= out
# pytest's worker processes (pytest-xdist) for `make test` and `make test-fast`: one per core of the 2 here
TEST_JOBS ?= 2
SYSTEM_PACKAGES := fonts-noto-cjk libharfbuzz-subset0 poppler-utils libpango-1.0-0 libpangoft2-1.0-0 \
                   python3-venv

.PHONY: axe install system fonts browser demo test test-fast typecheck schemas docs bench lint clean serve

# The Fandol faces (GB 2312 仿宋, 黑体, 楷体, 宋体) come out of Debian's texlive-lang-chinese without
# installing TeX: download the .deb (49 MB), unpack it into a temporary folder, keep the .otf files.
# Only when missing. The tool looks in the same folder (zzcbec_docs/documents/fonts.py: fandol_dir).
CACHE_BASE := $(or $(ZZCBEC_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/zzcbec-docs)
FONT_DIR ?= $(or $(ZZCBEC_FONT_DIR),$(CACHE_BASE)/fandol)
FANDOL := FandolFang-Regular FandolHei-Regular FandolKai-Regular FandolSong-Regular FandolSong-Bold

# The package's bytecode is compiled here, as pip does for an installed package: a command then
# starts without compiling its modules (about 0.13 s a command where PYTHONDONTWRITEBYTECODE is set).
install: system fonts browser $(VENV)/.installed
	@$(PY) -m compileall -q zzcbec_docs >/dev/null

fonts:
	@missing=""; for f in $(FANDOL); do test -s "$(FONT_DIR)/$$f.otf" || missing="$$missing $$f"; done; \
	if [ -n "$$missing" ]; then \
	  echo "zzcbec: taking the Fandol fonts from texlive-lang-chinese into $(FONT_DIR)"; \
	  tmp=$$(mktemp -d) && chmod 755 "$$tmp" && \
	  ( cd "$$tmp" && apt-get download texlive-lang-chinese >/dev/null 2>&1 || \
	    { SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; $$SUDO apt-get update -qq && apt-get download texlive-lang-chinese; } ) && \
	  dpkg-deb -x "$$tmp"/texlive-lang-chinese_*.deb "$$tmp/x" && \
	  mkdir -p "$(FONT_DIR)" && \
	  for f in $(FANDOL); do cp "$$tmp/x/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol/$$f.otf" "$(FONT_DIR)/"; done && \
	  cp "$$tmp"/x/usr/share/doc/texlive-doc/fonts/fandol/COPYING.gz "$(FONT_DIR)/" 2>/dev/null; \
	  rm -rf "$$tmp"; \
	  for f in $(FANDOL); do test -s "$(FONT_DIR)/$$f.otf" || { echo "zzcbec: could not get $$f.otf"; exit 1; }; done; \
	fi

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

# The desk's browser tests drive Debian's chromium (Playwright's own browser download is not used).
browser:
	@test -x /usr/bin/chromium || { \
	  echo "zzcbec: installing Debian's chromium for the desk's browser tests"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; }

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

# `zzcbec match TABLE --engine spark` and its equality test in `make test`: a JRE only when `java` is
# missing (like the other system packages), pyspark (the `spark` extra, ~460 MB) only when it does not import.
spark: install
	@command -v java >/dev/null 2>&1 || { \
	  echo "zzcbec: installing default-jre-headless for Spark"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends default-jre-headless; }
	@$(PY) -c "import pyspark" 2>/dev/null || { \
	  echo "zzcbec: installing pyspark for --engine spark"; \
	  $(PY) -m pip install -q --disable-pip-version-check -e '.[test,spark]'; }

test-spark: spark
	$(PY) -m pytest -q -p no:cacheprovider tests/sqlmatch/test_match_sql.py -k spark

demo: install
	$(VENV)/bin/zzcbec demo --out $(OUT)

test: install axe spark
	$(PY) -m ruff check -q zzcbec_docs tests benchmarks
	$(PY) -m ruff format --check -q zzcbec_docs tests benchmarks
	$(PY) -m mypy
	$(PY) -m zzcbec_docs.bundle.publish --check
	$(PY) -m pytest -q -p no:cacheprovider -n $(TEST_JOBS) --dist loadfile

# the quick loop while working (about 30 s): the library's decisions (policy, rules, bundle, calculator,
# process, ledger, the command line, the layers), without the slow (rendering many documents, starting
# processes) and PostgreSQL tests. The desk's, the documents' and the SQL engines' own quick loops:
# `.venv/bin/pytest tests/desk -m "not slow and not postgres"` (or tests/documents, tests/sqlmatch).
FAST_TESTS := tests/policy tests/rules tests/bundle tests/calculator tests/process tests/ledger tests/cli \
              tests/test_layers.py tests/test_docs.py tests/test_tools.py tests/test_vocabulary.py tests/test_money.py
# Where PYTHONDONTWRITEBYTECODE is set, pytest would rewrite the asserts of every test module again in each
# of its three processes at every run (about 7 s on 2 cores): it keeps them in tests/**/__pycache__ here.
test-fast: install
	PYTHONDONTWRITEBYTECODE= ZZCBEC_PROPERTY_EXAMPLES=60 ZZCBEC_POLICY_EXAMPLES=40 ZZCBEC_PROCESS_EXAMPLES=4 \
	  $(PY) -m pytest -q -p no:cacheprovider -n $(TEST_JOBS) \
	  -m "not slow and not postgres" -x $(FAST_TESTS)

typecheck: install
	$(PY) -m mypy

# the bundle and profile schemas are generated from the packaged policy
schemas: install
	$(PY) -m zzcbec_docs.bundle.publish

# docs/cli.md is the `--help` of every command (tests/test_docs.py fails when it is stale)
docs: install
	$(PY) -m zzcbec_docs.cli.reference > docs/cli.md.tmp && mv docs/cli.md.tmp docs/cli.md

LEDGER ?= desk-ledger.db
serve: install
	$(VENV)/bin/zzcbec serve --ledger $(LEDGER) --host 127.0.0.1 --port 8000 --workers 2 --demo

bench: install
	$(PY) benchmarks/bench_check.py
	$(PY) benchmarks/bench_render.py

lint: install
	$(PY) -m ruff check zzcbec_docs tests benchmarks

clean:
	rm -rf $(VENV) $(OUT) build dist .pytest_cache

# axe-core (npm) for the desk's WCAG 2.1 AA checks in the browser tests: into the cache, only when absent
AXE_DIR := $(CACHE_BASE)/axe
axe:
	@test -s "$(AXE_DIR)/node_modules/axe-core/axe.min.js" || { \
	  if command -v npm >/dev/null; then echo "zzcbec: installing axe-core into $(AXE_DIR)"; \
	    npm install --prefix "$(AXE_DIR)" --no-audit --no-fund axe-core@4 >/dev/null; \
	  else echo "zzcbec: npm is not installed; the browser tests skip their WCAG checks"; fi; }

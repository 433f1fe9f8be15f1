# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper of those.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint install sysdeps bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

VENDOR := webapp/static/vendor
VENDOR_STAMP := $(VENDOR)/.installed-$(shell cat package-lock.json 2>/dev/null | sha1sum | cut -c1-12)

# Front-end packages come from npm; only their dist files are served (webapp/static/vendor is git-ignored).
$(VENDOR_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bootstrap $(VENDOR)/bpmn-js $(VENDOR)/chartjs
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
	   node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
	   $(VENDOR)/bootstrap/
	cp node_modules/bpmn-js/dist/bpmn-viewer.production.min.js node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js \
	   node_modules/bpmn-js/dist/assets/diagram-js.css \
	   node_modules/bpmn-js/dist/assets/bpmn-js.css $(VENDOR)/bpmn-js/
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map $(VENDOR)/chartjs/
	touch $(VENDOR_STAMP)

# The Model proses workspace editors (bpmn-js Modeler + properties panel, dmn-js, our SpiffWorkflow extension) are
# our sources in webapp/static/js/workspace/, bundled by esbuild with their CSS and fonts into $(VENDOR)/workspace/.
WORKSPACE_JS := $(VENDOR)/workspace/workspace.js
$(WORKSPACE_JS): $(VENDOR_STAMP) $(wildcard webapp/static/js/workspace/*)
	node_modules/.bin/esbuild webapp/static/js/workspace/main.js --bundle --minify --sourcemap --format=iife \
	  --target=es2020 --outfile=$(WORKSPACE_JS) --asset-names=[name]-[hash] --legal-comments=linked --log-level=warning \
	  --loader:.woff=file --loader:.woff2=file --loader:.ttf=file --loader:.eot=file --loader:.svg=file \
	  --alias:domify=./webapp/static/js/workspace/csp-domify.js

# WeasyPrint (PDF documents) needs Pango from the system; install it with apt-get when it is missing.
sysdeps:
	@$(BIN)/python -c "import weasyprint" 2>/dev/null || { \
	  echo "Installing Pango for WeasyPrint (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; }

install: $(STAMP) $(VENDOR_STAMP) $(WORKSPACE_JS)
	@$(MAKE) --no-print-directory sysdeps
	$(BIN)/pybabel -q compile -d webapp/translations

run: install
	$(BIN)/smk init
	$(BIN)/smk demo
	@echo "SMK Workflow is at http://$(HOST):$(PORT)/  (stop with Ctrl+C)"
	$(BIN)/smk run --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check engine webapp processes tools tests scripts
	$(BIN)/lint-imports --no-cache
	$(BIN)/python scripts/check_private_imports.py engine processes webapp tools
	$(BIN)/mypy engine processes tools webapp

test: install lint
	$(BIN)/python -m pytest -q -n 2 $(PYTEST_ARGS)

bench: install
	$(BIN)/smk bench engine

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache node_modules $(VENDOR) tests/artifacts

# Refresh the gettext catalogues from the source (msgid = the English text; babel.cfg says where to look), then
# fill the new, empty or fuzzy entries in webapp/translations/{id,en}/LC_MESSAGES/messages.po and run the tests.
.PHONY: translations
translations: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ -k lazy_gettext --no-location --sort-output \
	  --ignore-dirs='.* ._ node_modules instance' --project='SMK Workflow' --copyright-holder='SMK Workflow' \
	  -o webapp/translations/messages.pot .
	$(BIN)/pybabel -q update -i webapp/translations/messages.pot -d webapp/translations --ignore-obsolete --no-fuzzy-matching
	rm -f webapp/translations/messages.pot
	$(BIN)/pybabel -q compile -d webapp/translations

# Mutation testing of the SMK rules with scripts/mutate.py, in a private copy of the checkout (nobody working in it
# ever sees a mutant): each processes/rules module against its own tests and the script API's (dmn_* against the
# DMN tests; rounding and predikat, used everywhere, against all of tests/processes). Prints the score per module
# at the end; known-equivalent mutants are listed with their reason in scripts/mutation_equivalents.txt and
# reported apart, never counted. Slow (each mutant runs the tests): MUTATION_RULES=regime_a runs one module.
MUTATION_RULES ?= angka_kredit cascading distribution dmn_expr dmn_tables follow_up integration2021 nip predikat \
	regime_a regime_b regime_c rounding script_api
.PHONY: mutation-rules
mutation-rules: $(STAMP)
	@out=$$(mktemp -d); status=0; \
	for m in $(MUTATION_RULES); do \
	  case $$m in \
	    dmn_expr|dmn_tables) tests="tests/processes/test_dmn_tables.py tests/processes/test_dmn_agreement.py";; \
	    predikat|rounding) tests="tests/processes";; \
	    *) tests="tests/processes/test_$$m.py tests/processes/test_script_api.py";; \
	  esac; \
	  $(BIN)/python scripts/mutate.py --copy processes/rules/$$m.py $$tests | tee $$out/$$m.txt || status=1; \
	done; \
	echo; echo "Mutation score per processes/rules module (killed/counted, equivalents excluded):"; \
	for m in $(MUTATION_RULES); do \
	  printf '  %-16s %s\n' "$$m" "$$(grep '^TOTAL' $$out/$$m.txt | awk '{print $$2, $$3}')"; \
	done; \
	rm -rf $$out; exit $$status

# Mutation testing of the access code with scripts/mutate.py, in a private copy of the checkout: who may act on a
# task and see an instance (engine/access.py) and the upload checks (store_upload and its helpers), against the
# pins in tests/engine/test_access_pins.py and test_upload_pins.py (and the lane and acting-official tests).
# Fails below 95%; known-equivalent mutants are reported apart with their reason (scripts/mutation_equivalents.txt).
# Slow: each mutant runs the tests.
.PHONY: mutation
mutation: $(STAMP)
	$(BIN)/python scripts/mutate.py --copy --fail-under 95 engine/access.py tests/engine/test_access_pins.py \
	  tests/engine/test_permissions_and_lanes.py tests/engine/test_acting.py
	$(BIN)/python scripts/mutate.py --copy --fail-under 95 engine/services/documents.py tests/engine/test_upload_pins.py \
	  -f store_upload -f _accepted -f _safe_name

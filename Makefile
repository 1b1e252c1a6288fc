# warmline: `make demo` runs the demo, `make test` runs every test. Both set up what they need.
# The tests pin the encoder's arithmetic to int8 so trained models do not depend on the CPU
# (docs/encoder.md).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
PG_URL  ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
REDIS_URL ?= redis://127.0.0.1:6379/15
NATS_URL ?= nats://127.0.0.1:4222

.PHONY: demo test setup browser lint typecheck unit scenarios bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Debian's chromium for the browser tests (Playwright cannot download browsers offline).
browser:
	@test -x $(CHROMIUM) || (apt-get update -q && apt-get install -y -q chromium) \
	  || (sudo apt-get update -q && sudo apt-get install -y -q chromium)

# The demo is the one place of the development conveniences: the shared agent password
# ("agent") and the start page's customer picker (docs/security.md).
demo: $(STAMP)
	$(BIN)/warmline migrate
	WARMLINE_ENVIRONMENT=development WARMLINE_CUSTOMER_PICKER=1 $(BIN)/warmline demo

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) browser
	WARMLINE_ENCODER_PRECISION=int8 \
	  WARMLINE_TEST_POSTGRES_URL=$(PG_URL) WARMLINE_TEST_REDIS_URL=$(REDIS_URL) \
	  WARMLINE_TEST_NATS_URL=$(NATS_URL) \
	  WARMLINE_TEST_CHROMIUM=$(CHROMIUM) \
	  $(BIN)/pytest -q -m "" --junitxml=reports/pytest.xml

scenarios: $(STAMP)
	WARMLINE_ENCODER_PRECISION=int8 $(BIN)/warmline test tests/scenarios --junit reports/scenarios.xml

test: lint typecheck unit scenarios

# Turn latency through HTTP under load (Locust in a second process); see BENCHMARKS.md.
bench: $(STAMP)
	. $(VENV)/bin/activate && benchmarks/turn_latency.sh

clean:
	rm -rf $(VENV) var reports .pytest_cache .mypy_cache .ruff_cache

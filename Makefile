# One entry point for people and CI. Everything a fresh clone needs is installed from here:
# uv (into .tools/ when it is not on PATH), the Python workspace (.venv/), and on the first
# start the Apache Kafka broker from Maven Central (cached under ~/.cache/batchflow).

SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
PY := $(CURDIR)/.venv/bin/python
PYTEST := $(PY) -m pytest -p no:cacheprovider

SERVICE_TESTS := contracts/tests libs/eventkit/tests tests/devstack services/orders/tests \
	services/inventory/tests services/production/tests services/shipping/tests services/purchasing/tests \
	services/channels/tests services/gateway/tests
# End to end: the saga across processes, fuzzing (OpenAPI and malformed events), and the
# chaos suite in its short form.
E2E_TESTS := tests/e2e tests/fuzz tests/chaos

.PHONY: help install browser-deps barcode-deps run infra test test-unit test-integration test-e2e bench bench-profile bench-soak chaos schemas asyncapi dlt clean reset \
	engine engine-stop images compose-smoke test-testcontainers test-deploy

help:
	@echo "make run     - start Kafka, PostgreSQL and every service (gateway on http://127.0.0.1:8100), demo data loaded"
	@echo "               (make run ARGS=--floor also simulates the shop floor: batches made, shipments sent)"
	@echo "make test    - the whole test suite on real Kafka and PostgreSQL (what CI runs)"
	@echo "make bench   - saga benchmark against a stack it starts, with this machine's ceilings and the design's floor, at 16 clients and at low load (2 orders/s); then the promise benchmark (quote and placement p95 with 10,000 orders and 50,000 lots) and the trace benchmark (forward trace and recall opening, same sizes)"
	@echo "make bench-profile - the saga benchmark with every service sampled by py-spy: where the CPU goes, per layer and per handler"
	@echo "make bench-soak - the saga benchmark as a soak: 20,000 orders, the first and last thousand compared (hours on 2 busy cores)"
	@echo "make chaos   - the chaos suite: 300 orders while processes, Kafka and PostgreSQL are killed; audits invariants"
	@echo "make infra   - only Kafka and PostgreSQL, for running services from an IDE"
	@echo "make schemas - regenerate contracts/schemas after an (additive) event change"
	@echo "make asyncapi - regenerate docs/asyncapi (AsyncAPI 3.0 per service, via FastStream)"
	@echo "make dlt     - dead letters per topic on the local stack (replay: python -m eventkit.dlt replay <topic>)"
	@echo "make compose-smoke - (root) Docker engine + local images, docker compose up, one order from stock and one"
	@echo "               made to order through the gateway to shipment and the e-mails read; then everything down"
	@echo "make test-testcontainers - (root) the end-to-end tier with Kafka and PostgreSQL from testcontainers"
	@echo "make test-deploy - kustomize renders every overlay; the Deployments match docker-compose.yml"
	@echo "make engine / engine-stop - start (install) / stop the Docker engine on this machine (root, deploy/docker/engine.sh)"

$(CURDIR)/.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet uv

install: $(UV)
	$(UV) sync --locked --group dev --quiet

# Chromium (Debian package) and axe-core (npm) for the console's browser tests.
browser-deps:
	deploy/scripts/browser-deps.sh

# poppler (pdftoppm) and zbar (zbarimg): the label tests read the barcode back from a rendering.
barcode-deps:
	deploy/scripts/barcode-deps.sh

run: install
	$(PY) -m devstack up $(ARGS)

infra: install
	$(PY) -m devstack infra

test: install browser-deps barcode-deps
	$(PYTEST) -q $(SERVICE_TESTS) $(E2E_TESTS)

test-unit: install
	$(PYTEST) -q -m unit $(SERVICE_TESTS)

test-integration: install barcode-deps
	$(PYTEST) -q -m "integration" $(SERVICE_TESTS)

test-e2e: install browser-deps
	$(PYTEST) -q $(E2E_TESTS)

bench: install
	$(PY) bench/saga_bench.py
	$(PY) bench/saga_bench.py --orders 60 --concurrency 1 --rate 2
	$(PY) bench/promise_bench.py
	$(PY) bench/trace_bench.py

bench-profile: install
	$(PY) bench/saga_bench.py --profile

bench-soak: install
	$(PY) bench/saga_bench.py --soak 20000 --in-flight 64

chaos: install
	$(PY) tests/chaos/chaos.py --orders 300

schemas: install
	$(PY) -m contracts.schemas

asyncapi: install
	$(PY) -m eventkit.asyncapi

dlt: install
	$(PY) -m eventkit.dlt list

clean:
	rm -rf .venv .tools .pytest_cache

reset:
	$(PY) -m devstack reset

# -- Docker: the production shape run for real (deploy/docker/; DOCKER-NOTES in shared/design) --
# The engine is Debian's docker.io started by hand (no systemd here); the images are local
# stand-ins built from Debian packages and Maven Central, for machines without a registry.
engine:
	deploy/docker/engine.sh start

engine-stop:
	deploy/docker/engine.sh stop

images: engine
	deploy/docker/build-local-images.sh all

compose-smoke: install images
	PY=$(PY) deploy/docker/compose-smoke.sh

# tests/e2e once more, with the `stack` fixture's Kafka and PostgreSQL from testcontainers.
test-testcontainers: install engine
	deploy/docker/build-local-images.sh base
	set -a && . deploy/docker/local.env && set +a && BATCHFLOW_TEST_INFRA=testcontainers \
		$(PYTEST) -q tests/devstack/test_containers.py tests/e2e

test-deploy: install
	BATCHFLOW_KUSTOMIZE=$$(deploy/scripts/kustomize.sh) $(PYTEST) -q tests/deploy

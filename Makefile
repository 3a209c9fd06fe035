# Research Security Casework — developer entry points. Everything runs locally on 127.0.0.1
# from package registries (no Docker). See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= uv
PYTEST_ARGS ?=

.PHONY: help bootstrap up down status logs reset test test-unit lint format schemas bench bench-quick

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

bootstrap: ## install uv and the locked Python workspace (.venv), check Java/Maven/PostgreSQL
	@bash deploy/local/bootstrap.sh

up: bootstrap ## start the whole platform with demo data (idempotent)
	@bash deploy/local/stack.sh up

down: ## stop everything, keep data
	@bash deploy/local/stack.sh down

status: ## servers and services, with health
	@bash deploy/local/stack.sh status

logs: ## recent lines of every log; `make logs S=kafka` follows one
	@bash deploy/local/stack.sh logs $(S)

reset: ## stop everything and wipe all data (downloads stay cached)
	@bash deploy/local/stack.sh reset

test: bootstrap ## the whole suite on the real servers (starts those not running, stops them after)
	@bash deploy/local/test.sh $(PYTEST_ARGS)

test-unit: bootstrap ## unit tests only, no servers
	@$(UV) run --frozen pytest -m "not integration" $(PYTEST_ARGS)

lint: ## ruff lint and format check
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .

format: ## ruff fix and format
	@$(UV) run --frozen ruff check --fix .
	@$(UV) run --frozen ruff format .

schemas: ## regenerate the event JSON Schemas in docs/events/
	@$(UV) run --frozen python -m rsc_common.events.schemas

bench: ## benchmarks against the running stack (`make up` first); results in docs/benchmarks.md
	@$(UV) run --frozen python -m bench.intake_surge

bench-quick: ## a one-minute smoke version of the benchmarks (does not claim the targets)
	@$(UV) run --frozen python -m bench.intake_surge --quick

# Research Security Casework — developer entry points. Everything runs locally on 127.0.0.1
# from package registries (no Docker). See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV ?= uv
PYTEST_ARGS ?=

.PHONY: help bootstrap up down status logs reset test test-unit lint format schemas images bench bench-quick bench-intake \
	bench-matching bench-classifier bench-screening bench-casework bench-monitoring bench-notifications bench-scale-out

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

images: bootstrap ## build the five service images with buildah from their Dockerfiles (no daemon, no registry pull)
	@bash deploy/local/images.sh build

lint: ## ruff lint and format check
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .

format: ## ruff fix and format
	@$(UV) run --frozen ruff check --fix .
	@$(UV) run --frozen ruff format .

schemas: ## regenerate the event JSON Schemas in docs/events/
	@$(UV) run --frozen python -m rsc_common.events.schemas

bench: bench-classifier bench-matching bench-screening bench-intake bench-casework bench-monitoring bench-notifications bench-scale-out ## every benchmark; results in docs/benchmarks.md

bench-intake: ## intake call-deadline surge against the running stack (`make up` first)
	@$(UV) run --frozen python -m bench.intake_surge

bench-casework: ## casework end to end: surge and even 10,000 in 10 min through intake, verdicts on Kafka (`make up` first)
	@$(UV) run --frozen python -m bench.casework_surge --profile surge
	@$(UV) run --frozen python -m bench.casework_surge --profile even

bench-monitoring: ## national report over 1 M proposals, audit-chain verification of 10 M entries (PostgreSQL of `make up`)
	@$(UV) run --frozen python -m bench.monitoring_scale

bench-notifications: ## event to e-mail lag through the notifications worker and an SMTP sink (`make up` first)
	@$(UV) run --frozen python -m bench.notification_lag

bench-scale-out: ## two replicas of every API and worker, one of each SIGKILLed mid-surge: lost/duplicates/e-mail once, 1 vs 2 replicas (`make up` first)
	@$(UV) run --frozen python -m bench.scale_out

bench-matching: ## entity matching: 1 M names, latency, memory, precision/recall (no servers)
	@$(UV) run --frozen python -m bench.entity_matching

bench-classifier: ## critical-technology classifier quality on the labelled proposals (no servers)
	@$(UV) run --frozen python -m bench.classifier_quality

bench-screening: ## whole-proposal screening throughput on one core, 1 M-name lists (no servers)
	@$(UV) run --frozen python -m bench.screening_throughput

bench-quick: ## smoke versions of the benchmarks (print only, do not claim the targets)
	@$(UV) run --frozen python -m bench.classifier_quality --no-write
	@$(UV) run --frozen python -m bench.entity_matching --quick
	@$(UV) run --frozen python -m bench.screening_throughput --quick
	@$(UV) run --frozen python -m bench.intake_surge --quick
	@$(UV) run --frozen python -m bench.casework_surge --quick
	@$(UV) run --frozen python -m bench.monitoring_scale --quick
	@$(UV) run --frozen python -m bench.notification_lag --quick
	@$(UV) run --frozen python -m bench.scale_out --quick

"""Command line of every service: `rsc-<service> api|worker|migrate|seed|openapi`."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import Engine

from rsc_common.db import make_engine, upgrade_to_head
from rsc_common.runtime import WorkerSpec, run_worker
from rsc_common.settings import ServiceSettings
from rsc_common.telemetry import configure_logging, configure_tracing


@dataclass
class ServiceDefinition:
    name: str
    settings: Callable[[], ServiceSettings]
    app: Callable[[ServiceSettings], FastAPI]
    migrations_dir: Path
    worker: Callable[[ServiceSettings, Engine], WorkerSpec] | None = None
    seed: Callable[[ServiceSettings, Engine], None] | None = None


def main(definition: ServiceDefinition, argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=definition.name)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("api", help="serve the HTTP API (uvicorn)")
    sub.add_parser("worker", help="run the outbox relay, Kafka consumers and Temporal worker")
    sub.add_parser("migrate", help="apply database migrations up to head")
    sub.add_parser("seed", help="load demo data (idempotent)")
    sub.add_parser("openapi", help="print the OpenAPI document")
    args = parser.parse_args(argv)

    settings = definition.settings()  # validated here: a bad setting stops the process at once
    configure_logging(settings.service_name, settings.telemetry.log_level, settings.telemetry.json_logs)

    if args.command == "migrate":
        upgrade_to_head(definition.migrations_dir, str(settings.database_url))
    elif args.command == "api":
        import uvicorn

        uvicorn.run(definition.app(settings), host=settings.http_host, port=settings.http_port, log_config=None)
    elif args.command == "openapi":
        print(json.dumps(definition.app(settings).openapi(), indent=2))
    else:
        configure_tracing(settings.service_name, settings.telemetry)
        engine = make_engine(
            str(settings.database_url),
            pool_size=settings.database_pool_size,
            application_name=f"{settings.service_name}-{args.command}",
        )
        if args.command == "worker":
            spec = definition.worker(settings, engine) if definition.worker else WorkerSpec()
            run_worker(settings, engine, spec, definition.migrations_dir)
        elif args.command == "seed" and definition.seed is not None:
            definition.seed(settings, engine)

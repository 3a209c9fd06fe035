from __future__ import annotations

import sys

from rsc_common.events import topics
from rsc_common.runtime import ConsumerSpec, WorkerSpec
from rsc_common.service import ServiceDefinition
from rsc_common.service import main as run
from rsc_common.telemetry import configure_logging
from rsc_intake.app import MIGRATIONS, build_app
from rsc_intake.proposals.handlers import HANDLERS as PROPOSAL_HANDLERS
from rsc_intake.safeguards.handlers import HANDLERS as SAFEGUARD_HANDLERS
from rsc_intake.seed import seed
from rsc_intake.settings import IntakeSettings

HANDLERS = {**PROPOSAL_HANDLERS, **SAFEGUARD_HANDLERS}

DEFINITION = ServiceDefinition(
    name="rsc-intake",
    settings=IntakeSettings,
    app=build_app,
    migrations_dir=MIGRATIONS,
    # Intake publishes its events (outbox relay) and applies appraisal's status and safeguard events.
    worker=lambda settings, engine: WorkerSpec(
        relay=True,
        consumers=[ConsumerSpec(group_id="rsc-intake", topics=[topics.APPRAISAL], handlers=HANDLERS)],
    ),
    seed=seed,
)


def serve_workers(settings: IntakeSettings) -> None:
    """`rsc-intake api` with `api_workers` > 1: uvicorn's supervisor binds the port once and runs
    that many worker processes on it; each builds the app from the same environment (its own
    engine, pool and token cache). SIGTERM to the supervisor (or to the whole process group, as
    the local stack does) stops them all gracefully."""
    import uvicorn

    configure_logging(settings.service_name, settings.telemetry.log_level, settings.telemetry.json_logs)
    uvicorn.run(
        "rsc_intake.app:build_app",
        factory=True,
        host=settings.http_host,
        port=settings.http_port,
        workers=settings.api_workers,
        log_config=None,
        # The supervisor pings each worker (from a thread of the worker); a worker busy with a
        # burst of requests must not be taken for hung and restarted (default 5 s).
        timeout_worker_healthcheck=30,
    )


def main() -> None:
    if sys.argv[1:] == ["api"]:
        settings = IntakeSettings()  # validated here, as `run` does: a bad setting stops the process at once
        if settings.api_workers > 1:
            serve_workers(settings)
            return
    run(DEFINITION)


if __name__ == "__main__":
    main()

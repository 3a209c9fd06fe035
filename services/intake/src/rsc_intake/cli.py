from __future__ import annotations

from rsc_common.events import topics
from rsc_common.runtime import ConsumerSpec, WorkerSpec
from rsc_common.service import ServiceDefinition
from rsc_common.service import main as run
from rsc_intake.app import MIGRATIONS, build_app
from rsc_intake.proposals.handlers import HANDLERS
from rsc_intake.seed import seed
from rsc_intake.settings import IntakeSettings

DEFINITION = ServiceDefinition(
    name="rsc-intake",
    settings=IntakeSettings,
    app=build_app,
    migrations_dir=MIGRATIONS,
    # Intake publishes its events (outbox relay) and applies appraisal's status events.
    worker=lambda settings, engine: WorkerSpec(
        relay=True,
        consumers=[ConsumerSpec(group_id="rsc-intake", topics=[topics.APPRAISAL], handlers=HANDLERS)],
    ),
    seed=seed,
)


def main() -> None:
    run(DEFINITION)


if __name__ == "__main__":
    main()

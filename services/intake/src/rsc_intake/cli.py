from __future__ import annotations

from rsc_common.runtime import WorkerSpec
from rsc_common.service import ServiceDefinition
from rsc_common.service import main as run
from rsc_intake.app import MIGRATIONS, build_app
from rsc_intake.seed import seed
from rsc_intake.settings import IntakeSettings

DEFINITION = ServiceDefinition(
    name="rsc-intake",
    settings=IntakeSettings,
    app=build_app,
    migrations_dir=MIGRATIONS,
    # Intake publishes (outbox relay); its workflows and consumers come with later issues.
    worker=lambda settings, engine: WorkerSpec(relay=True),
    seed=seed,
)


def main() -> None:
    run(DEFINITION)


if __name__ == "__main__":
    main()

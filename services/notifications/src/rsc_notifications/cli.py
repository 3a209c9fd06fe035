from __future__ import annotations

from rsc_common.runtime import WorkerSpec
from rsc_common.service import ServiceDefinition
from rsc_common.service import main as run
from rsc_notifications.app import MIGRATIONS, build_app
from rsc_notifications.settings import NotificationsSettings

DEFINITION = ServiceDefinition(
    name="rsc-notifications",
    settings=NotificationsSettings,
    app=build_app,
    migrations_dir=MIGRATIONS,
    worker=lambda settings, engine: WorkerSpec(relay=False),
)


def main() -> None:
    run(DEFINITION)


if __name__ == "__main__":
    main()
